"""One host's file system and container: an overlay on the image, booted by systemd-nspawn.

systemd-nspawn --keep-unit creates its "payload" and "supervisor" cgroups inside the cgroup it
was started in. Each host's nspawn is therefore started inside a cgroup of its own
(pnltb/NAME in every cgroup hierarchy systemd uses), or two hosts would share one payload. The
same cgroup later names the processes `down` may end, also when the state file is lost.
"""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from panel_testbed import PREFIX, TestbedError

RUN_DIR = Path("/var/lib/panel-testbed")
CGROUP_FS = Path("/sys/fs/cgroup")
NSPAWN = "systemd-nspawn"
# The host's own network namespace's settings (/proc/sys/net) stay writable, as nspawn leaves them
# with --private-network and as they are on a real host: the playbooks set some (the webspace
# role's ip_unprivileged_port_start), and they reach no other namespace.
NSPAWN_ENVIRONMENT = {"SYSTEMD_NSPAWN_API_VFS_WRITABLE": "network"}
# Joins the cgroups given before "--", then becomes the command after it, keeping the PID.
JOIN_CGROUPS = 'while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs"; shift; done; shift; exec "$@"'
# systemd-nspawn exits with 133 when the container reboots (systemd-nspawn@.service restarts it
# on that code). The keeper does the same: it starts nspawn through JOIN_CGROUPS again for a
# reboot and ends with nspawn's code otherwise. It stays in the caller's cgroup, because a
# process in the host's cgroup would sit beside nspawn's payload and supervisor cgroups.
KEEPER = (
    'join=$1; shift; while :; do sh -c "$join" sh "$@"; rc=$?; [ "$rc" -eq 133 ] || exit "$rc"; '
    "done"
)
KEEPER_COMM = "sh"
REBOOT_CODE = 133


def host_dir(name: str) -> Path:
    return RUN_DIR / name


def root_dir(name: str) -> Path:
    return host_dir(name) / "root"


def cgroup_hierarchies() -> list[Path]:
    """The hierarchies systemd inside a container uses: unified alone, or name=systemd plus the
    unified one on a hybrid machine."""
    if (CGROUP_FS / "cgroup.controllers").exists():
        return [CGROUP_FS]
    return [path for path in (CGROUP_FS / "systemd", CGROUP_FS / "unified") if path.is_dir()]


def cgroup_dirs(name: str) -> list[Path]:
    return [hierarchy / PREFIX / name for hierarchy in cgroup_hierarchies()]


def mount_overlay(name: str, image: Path) -> Path:
    folder = host_dir(name)
    for part in ("upper", "work", "root"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    options = f"lowerdir={image},upperdir={folder / 'upper'},workdir={folder / 'work'}"
    _run("mount", "-t", "overlay", "overlay", "-o", options, str(folder / "root"))
    return folder / "root"


def start(name: str, netns: Path) -> int:
    """Boot the host in the background; returns the PID of its keeper (see KEEPER)."""
    cgroups = cgroup_dirs(name)
    for cgroup in cgroups:
        cgroup.mkdir(parents=True, exist_ok=True)
    command = [
        NSPAWN,
        "--boot",
        "--register=no",
        "--keep-unit",
        "--console=read-only",
        f"--directory={root_dir(name)}",
        f"--machine={name}",
        f"--network-namespace-path={netns}",
        "--resolv-conf=off",
        "--timezone=off",
        "--link-journal=no",
        # For the host's firewall (nftables), as on a real host; the machine forwards nothing
        # that comes from the bridge (network.BRIDGE_SYSCTLS), so a route a host adds leads
        # nowhere.
        "--capability=CAP_NET_ADMIN",
    ]
    with (host_dir(name) / "console.log").open("wb") as console:
        process = subprocess.Popen(
            ["sh", "-c", KEEPER, "keeper", JOIN_CGROUPS, *map(str, cgroups), "--", *command],
            env={**os.environ, **NSPAWN_ENVIRONMENT},
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process.pid


def console_tail(name: str, lines: int = 15) -> str:
    path = host_dir(name) / "console.log"
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot: with the PID, an identity that a
    recycled PID does not share. None when the process is gone or a zombie."""
    try:
        _, _, rest = Path(f"/proc/{pid}/stat").read_text().rpartition(")")
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = rest.split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def is_keeper(pid: int, started: int | None) -> bool:
    """Whether PID is still the keeper started at `started`: the host has not powered off."""
    _reap(pid)
    return _comm(pid) == KEEPER_COMM and started is not None and start_time(pid) == started


def _comm(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return None


def cgroup_pids(folder: Path) -> list[int]:
    pids: list[int] = []
    for procs in folder.rglob("cgroup.procs"):
        pids.extend(int(line) for line in procs.read_text().split())
    return pids


def supervisor_pids(folder: Path) -> list[int]:
    """systemd-nspawn's PID in a host's cgroup (it moves itself to "supervisor")."""
    procs = folder / "supervisor" / "cgroup.procs"
    pids = [int(line) for line in procs.read_text().split()] if procs.exists() else []
    return [pid for pid in pids if _comm(pid) == NSPAWN]


def stop(keepers: list[int], pids: list[int], cgroups: list[Path], timeout: float = 30.0) -> None:
    """Ask each systemd-nspawn to power its container off (its keeper then ends, since that is
    no reboot, and collects it at once: a keeper ended first would leave nspawn to the machine's
    init, a zombie in the host's cgroup until init gets to it). When the deadline passes, kill
    what is left: the keepers first, so that nothing boots again, then the hosts' cgroups (only
    the testbed's processes live there)."""
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    everyone = keepers + pids
    deadline = time.monotonic() + timeout
    while any(start_time(pid) is not None for pid in everyone) and time.monotonic() < deadline:
        for pid in everyone:
            _reap(pid)
        time.sleep(0.2)
    for pid in keepers:
        if start_time(pid) is not None:
            _signal(pid, signal.SIGKILL)
    for cgroup in cgroups:
        if cgroup.is_dir():
            for pid in cgroup_pids(cgroup):
                _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(cgroup_pids(c) for c in cgroups if c.is_dir()) and time.monotonic() < deadline:
        for pid in everyone:
            _reap(pid)
        time.sleep(0.1)


def remove_cgroups(cgroups: list[Path]) -> None:
    for cgroup in cgroups:
        if cgroup.is_dir():
            for folder in sorted(cgroup.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                if folder.is_dir():
                    folder.rmdir()
            cgroup.rmdir()


def remove_cgroup_parents() -> None:
    """The pnltb cgroups that held the hosts' ones, once those are gone."""
    for hierarchy in cgroup_hierarchies():
        parent = hierarchy / PREFIX
        if parent.is_dir() and not any(path.is_dir() for path in parent.iterdir()):
            parent.rmdir()


def testbed_cgroups() -> list[Path]:
    """Every host cgroup there is, whether or not the state file knows it."""
    found: list[Path] = []
    for hierarchy in cgroup_hierarchies():
        parent = hierarchy / PREFIX
        if parent.is_dir():
            found.extend(path for path in parent.iterdir() if path.is_dir())
    return found


def testbed_mounts() -> list[str]:
    """This lane's mount points under RUN_DIR, deepest first."""
    points = [
        line.split()[1] for line in Path("/proc/mounts").read_text().splitlines() if line.strip()
    ]
    ours = [point for point in points if point.startswith(f"{RUN_DIR}/{PREFIX}")]
    return sorted(set(ours), key=len, reverse=True)


def unmount(point: str) -> None:
    _run("umount", point)


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise TestbedError(f"{' '.join(command)}: {result.stderr.strip()}")


def memory_kib(cgroups: list[Path]) -> int:
    """Proportional set size of the host's processes (each shared page counted in part)."""
    total = 0
    pids = {pid for cgroup in cgroups if cgroup.is_dir() for pid in cgroup_pids(cgroup)}
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def _reap(pid: int) -> None:
    """Collect the exit status when the process was started by this one (tests run up and
    down in one process), so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
