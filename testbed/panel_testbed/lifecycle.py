"""`up`, `status` and `down`: the testbed as a whole."""

import fcntl
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from panel_testbed import LANE, PREFIX, TestbedError, kernel, machine, network, ssh
from panel_testbed import state as saved
from panel_testbed.identity import fingerprint, write_identity
from panel_testbed.image import DEFAULT_SUITE, check_suite, ensure_image

LOCK = Path("/run/panel-testbed.lock" if LANE == 0 else f"/run/panel-testbed-{LANE}.lock")
SSH_PORT = 22
NSPAWN_PROPAGATE = Path("/run/systemd/nspawn/propagate")

Report = Callable[[str], None]


@dataclass
class HostStatus:
    name: str
    address: str
    suite: str
    fingerprint: str
    container: bool
    system_state: str | None
    memory_kib: int


@contextmanager
def _locked() -> Iterator[None]:
    """One `up` or `down` at a time in this lane."""
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def host_suites(count: int, suites: list[str]) -> list[str]:
    """Each host's suite: one suite for every host, or one given per host."""
    for suite in suites:
        check_suite(suite)
    if len(suites) == 1:
        return suites * count
    if len(suites) != count:
        raise TestbedError(
            f"{len(suites)} suites for {count} hosts: give one suite for all or one per host"
        )
    return list(suites)


def up(
    count: int, report: Report, suites: list[str] | None = None, boot_timeout: float = 180.0
) -> saved.State:
    """Boot COUNT hosts, host N on the Nth of SUITES (or all on its one suite)."""
    if not 1 <= count <= network.MAX_HOSTS:
        raise TestbedError(f"--hosts must be between 1 and {network.MAX_HOSTS}")
    per_host = host_suites(count, suites or [DEFAULT_SUITE])
    with _locked():
        current = saved.load()
        if current is not None:
            if [host.suite for host in current.hosts] == per_host and all(
                _container_alive(host) for host in current.hosts
            ):
                report(f"the testbed is already up with {count} hosts")
                return current
            described = ", ".join(host.suite for host in current.hosts)
            raise TestbedError(
                f"a testbed of {len(current.hosts)} hosts ({described}) exists (some may have "
                "stopped): run `panel testbed down` first"
            )
        if any(machine.cgroup_pids(cgroup) for cgroup in machine.testbed_cgroups()):
            raise TestbedError(
                f"hosts are running that {saved.state_path()} does not describe (another "
                "PANEL_INSTANCE, or a lost state file): run `panel testbed down` first"
            )
        if _leftovers():
            report("removing leftovers of an earlier testbed")
            _remove_everything(report)
        images = {suite: ensure_image(report, suite) for suite in dict.fromkeys(per_host)}
        raised = kernel.protect_links()
        if raised:
            report(f"the hosts share this machine's kernel: set {', '.join(raised)}")
        authorized_key = ssh.panel_public_key()
        network.ensure_bridge()
        state = saved.State(bridge=network.BRIDGE, gateway=str(network.GATEWAY))
        names = {
            f"{PREFIX}{number}": network.host_address(number) for number in range(1, count + 1)
        }
        started: dict[str, float] = {}
        for (name, address), suite in zip(names.items(), per_host, strict=True):
            host = _create_host(name, address, images[suite], authorized_key, names)
            host.suite = suite
            state.hosts.append(host)
            started[name] = time.monotonic()
            saved.save(state)
        _wait_booted(state, started, report, boot_timeout)
        saved.save(state)
        return state


def _create_host(name, address, image: Path, authorized_key: str, names: dict) -> saved.Host:
    network.add_host(name, address)
    root = machine.mount_overlay(name, image)
    public = write_identity(root, name, authorized_key, {n: str(a) for n, a in names.items()})
    pid = machine.start(name, network.netns_path(name))
    return saved.Host(
        name=name,
        address=str(address),
        ssh_port=SSH_PORT,
        netns=name,
        netns_path=str(network.netns_path(name)),
        veth=name,
        veth_peer=network.GUEST_LINK,
        pid=pid,
        pid_start=machine.start_time(pid) or 0,
        cgroups=[str(path) for path in machine.cgroup_dirs(name)],
        mounts=[str(root)],
        upper_dir=str(machine.host_dir(name) / "upper"),
        host_key=public,
        fingerprint=fingerprint(public),
        image=str(image),
    )


def _wait_booted(state: saved.State, started: dict, report: Report, timeout: float) -> None:
    """Poll every host over SSH, pinned key and all, until systemd says it has booted."""
    key = ssh.panel_key()
    known_hosts = saved.known_hosts_path()
    waiting = {host.name: host for host in state.hosts}
    deadline = time.monotonic() + timeout
    while waiting:
        for host in list(waiting.values()):
            if not _container_alive(host):
                raise TestbedError(
                    f"{host.name} stopped while booting:\n{machine.console_tail(host.name)}"
                )
            answer = ssh.probe(host.address, host.ssh_port, known_hosts, key)
            if answer == "degraded":
                failed = ssh.failed_units(host.address, host.ssh_port, known_hosts, key)
                raise TestbedError(f"{host.name} booted degraded; failed units:\n{failed}")
            if answer == "running":
                host.boot_seconds = round(time.monotonic() - started[host.name], 1)
                report(f"{host.name} {host.address} running after {host.boot_seconds} s")
                del waiting[host.name]
        if waiting and time.monotonic() > deadline:
            raise TestbedError(
                f"not booted after {timeout:.0f} s: {', '.join(waiting)} "
                f"(console logs in {machine.RUN_DIR})"
            )
        if waiting:
            time.sleep(0.3)


def status() -> list[HostStatus]:
    current = saved.load()
    if current is None:
        return []
    key = ssh.panel_key()
    rows = []
    for host in current.hosts:
        alive = _container_alive(host)
        try:
            answer = ssh.probe(host.address, host.ssh_port, saved.known_hosts_path(), key)
        except TestbedError as exc:
            answer = f"refused: {exc}"
        cgroups = [Path(path) for path in host.cgroups]
        rows.append(
            HostStatus(
                name=host.name,
                address=host.address,
                suite=host.suite,
                fingerprint=host.fingerprint,
                container=alive,
                system_state=answer if alive else None,
                memory_kib=machine.memory_kib(cgroups) if alive else 0,
            )
        )
    return rows


def leftovers_without_state() -> bool:
    """Whether testbed resources exist that no state file describes (an earlier crash)."""
    return saved.load() is None and _leftovers()


def down(report: Report) -> None:
    """Remove every process, mount, namespace and link the testbed made. Safe to repeat."""
    with _locked():
        _remove_everything(report)
        saved.forget()


def _remove_everything(report: Report) -> None:
    current = saved.load()
    hosts = current.hosts if current else []
    keepers = [host.pid for host in hosts if machine.is_keeper(host.pid, host.pid_start)]
    cgroups = {Path(path) for host in hosts for path in host.cgroups if Path(path).is_dir()}
    pids: list[int] = []
    for cgroup in machine.testbed_cgroups():
        cgroups.add(cgroup)
        # Without a state file, nspawn's own cgroup still tells which processes are ours.
        pids += machine.supervisor_pids(cgroup)
    if keepers or pids or cgroups:
        # A host has a cgroup in each hierarchy (two on a hybrid machine): count names.
        running = {cgroup.name for cgroup in cgroups if machine.cgroup_pids(cgroup)}
        report(f"stopping {len(running)} container(s)")
        machine.stop(keepers, pids, sorted(cgroups))
        machine.remove_cgroups(sorted(cgroups))
    machine.remove_cgroup_parents()
    for point in machine.testbed_mounts():
        report(f"unmounting {point}")
        machine.unmount(point)
    namespaces, links = network.leftovers()
    if namespaces or links:
        report(f"removing namespaces {namespaces} and links {links}")
        network.remove_all()
    _wait_gone()
    _remove_dirs()


def _wait_gone(timeout: float = 15.0) -> None:
    """Network namespaces die asynchronously in the kernel; wait until their links are gone."""
    deadline = time.monotonic() + timeout
    while any(network.leftovers()):
        if time.monotonic() > deadline:
            raise TestbedError(f"still present after {timeout:.0f} s: {network.leftovers()}")
        time.sleep(0.1)


def _remove_dirs() -> None:
    if machine.testbed_mounts():
        raise TestbedError(f"still mounted: {machine.testbed_mounts()}")
    if machine.RUN_DIR.is_dir():
        for folder in machine.RUN_DIR.iterdir():
            if folder.name.startswith(PREFIX):
                shutil.rmtree(folder)
    if NSPAWN_PROPAGATE.is_dir():
        for folder in NSPAWN_PROPAGATE.glob(f"{PREFIX}*"):
            shutil.rmtree(folder, ignore_errors=True)


def _leftovers() -> bool:
    return bool(any(network.leftovers()) or machine.testbed_cgroups() or machine.testbed_mounts())


def _container_alive(host: saved.Host) -> bool:
    return machine.is_keeper(host.pid, host.pid_start)
