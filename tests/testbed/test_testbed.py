"""`panel testbed up/status/down` against real hosts. The tests run in file order: the last ones
take the testbed down and check that nothing of it is left."""

import contextlib
import ipaddress
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from testbed_lock import machine_lock

from panel.core.sshkey import load_private_key
from panel_testbed import LANE, MAX_LANE, PREFIX, image, machine, network
from panel_testbed import ssh as testbed_ssh
from panel_testbed import state as saved

pytestmark = pytest.mark.testbed

# The testbed's lane (PANEL_TESTBED_LANE) names and numbers the hosts.
HOST1, HOST2 = f"{PREFIX}1", f"{PREFIX}2"
ADDRESS1, ADDRESS2 = str(network.host_address(1)), str(network.host_address(2))
# The hosts' Debian release: the run's (PANEL_TESTBED_SUITE), as `up` takes it.
SUITE = os.environ.get(image.SUITE_VARIABLE, image.DEFAULT_SUITE)


def test_up_boots_every_host_to_running(testbed, on_host, invoke):
    assert [host.name for host in testbed.hosts] == [HOST1, HOST2]
    assert [host.address for host in testbed.hosts] == [ADDRESS1, ADDRESS2]
    for host in testbed.hosts:
        assert host.suite == SUITE
        assert on_host(host, "systemctl is-system-running") == (0, "running\n")
        assert on_host(host, "hostname") == (0, f"{host.name}\n")
        assert on_host(host, ". /etc/os-release; echo $VERSION_CODENAME") == (0, f"{SUITE}\n")
    result = invoke("status")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{HOST1}\t{ADDRESS1}\t{SUITE}\trunning, ")
    assert lines[1].startswith(f"{HOST2}\t{ADDRESS2}\t{SUITE}\trunning, ")


def test_up_again_keeps_the_running_testbed(testbed, invoke, leftovers):
    result = invoke("up", "--no-setup", "--hosts", "2")
    assert result.exit_code == 0, result.output
    assert "already up with 2 hosts" in result.output
    assert [host.pid for host in saved.load().hosts] == [host.pid for host in testbed.hosts]

    resized = invoke("up", "--no-setup", "--hosts", "3")
    assert resized.exit_code != 0
    assert "run `panel testbed down` first" in resized.output
    assert len(saved.load().hosts) == 2
    assert not [line for line in leftovers()["namespaces"] if f"{PREFIX}3" in line]


def test_each_host_has_its_own_pinned_host_key(testbed, on_host):
    fingerprints = {host.fingerprint for host in testbed.hosts}
    assert len(fingerprints) == 2
    assert not list((image.image_path(SUITE) / "etc/ssh").glob("ssh_host_*"))
    known = saved.known_hosts_path().read_text().splitlines()
    for host in testbed.hosts:
        status, served = on_host(host, "cat /etc/ssh/ssh_host_ed25519_key.pub")
        assert status == 0
        assert served.split()[:2] == host.host_key.split()[:2]
        assert f"{host.address} {' '.join(host.host_key.split()[:2])}" in known


def test_openssh_with_strict_host_key_checking_logs_in(testbed, instance, tmp_path):
    key_file = _clear_panel_key(instance, tmp_path)
    for host in testbed.hosts:
        result = _openssh(key_file, saved.known_hosts_path(), host.address, "id -un")
        assert result.returncode == 0, result.stderr
        assert result.stdout == "root\n"


def test_changed_host_key_is_refused(testbed, instance, panel_key, tmp_path):
    host = testbed.hosts[0]
    forged = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    )
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"{host.address} {forged.decode()}\n")

    with pytest.raises(paramiko.BadHostKeyException):
        testbed_ssh.connect(host.address, host.ssh_port, known_hosts, panel_key)
    result = _openssh(_clear_panel_key(instance, tmp_path), known_hosts, host.address, "true")
    assert result.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in result.stderr


def test_unknown_host_is_refused(testbed, panel_key, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        testbed_ssh.connect(testbed.hosts[0].address, 22, empty, panel_key)


def test_hosts_reach_each_other_and_nothing_beyond(testbed, on_host):
    first, second = testbed.hosts
    assert on_host(first, "ip -4 route") == (
        0,
        f"{network.SUBNET} dev eth0 proto kernel scope link src {ADDRESS1} \n",
    )
    assert on_host(first, "ip -6 route") == (0, "")
    addresses = on_host(first, "ip -o address | awk '{print $4}'")[1].split()
    assert addresses == ["127.0.0.1/8", "::1/128", f"{ADDRESS1}/24"]
    banner = (
        f'python3 -c \'import socket; s = socket.create_connection(("{HOST2}", 22), 5);'
        " print(s.recv(7).decode())'"
    )
    assert on_host(first, banner) == (0, "SSH-2.0\n")
    assert on_host(second, f"getent hosts {HOST1}") == (0, f"{ADDRESS1}     {HOST1}\n")
    # The machine forwards nothing that arrives on the bridge: no IPv4 (the bridge's own
    # switch), no IPv6 at all (Linux forwards IPv6 for the whole machine or not at all).
    for name, value in network.BRIDGE_SYSCTLS.items():
        assert (network.SYSCTL_DIR / name).read_text() == f"{value}\n", name


def test_each_host_sets_its_own_network_settings_only(testbed, on_host):
    """As on a real host, a host's playbooks may set its network settings (/proc/sys/net; the
    rest of /proc/sys is the machine's and read-only): they change that host's namespace, not
    the other host's nor the machine's."""
    first, second = testbed.hosts
    setting = "net.ipv4.ip_unprivileged_port_start"
    machine = Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text()
    before = on_host(second, f"sysctl -n {setting}")
    assert on_host(first, f"sysctl -w {setting}=4321")[0] == 0
    try:
        assert on_host(first, f"sysctl -n {setting}") == (0, "4321\n")
        assert on_host(second, f"sysctl -n {setting}") == before
        assert Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text() == machine
    finally:
        on_host(first, f"sysctl -w {setting}={before[1].strip()}")
    domain = Path("/proc/sys/kernel/domainname").read_text()
    assert on_host(first, "sysctl -w kernel.domainname=elsewhere")[0] != 0
    assert Path("/proc/sys/kernel/domainname").read_text() == domain


BEYOND = f"{PREFIX}-beyond"
BEYOND_LINK = f"{PREFIX}-by"
# A /30 of TEST-NET-3 (outside 198.18.0.0/15) per lane: the machine's end and the far end.
BEYOND_NET = ipaddress.ip_network(f"203.0.113.{4 * LANE}/30")
MACHINE_END, FAR_END = BEYOND_NET[1], BEYOND_NET[2]
BEYOND_PORT = 7000
REACH = (
    'python3 -c \'import socket; s = socket.create_connection(("{address}", {port}), 3);'
    " print(s.recv(6).decode())'"
)


@contextlib.contextmanager
def beyond_the_machine():
    """A network outside the testbed that this machine routes to, made of nothing but a
    namespace of this test (so no one is contacted for real): a veth to it with the machine's
    end MACHINE_END, and there a listener on FAR_END that answers "beyond". The machine forwards
    what comes from there (its answers), so only the bridge's own switch stands between a host
    and FAR_END."""
    routes = json.loads(network.ip("-j", "route", "show", "to", "match", str(FAR_END)))
    assert all(route.get("dst") == "default" for route in routes), f"{BEYOND_NET} is in use"
    listener = None
    try:
        network.ip("netns", "add", BEYOND)
        network.ip(
            "link", "add", BEYOND_LINK, "type", "veth", "peer", "name", "eth0", "netns", BEYOND
        )
        network.ip("address", "add", f"{MACHINE_END}/30", "dev", BEYOND_LINK)
        network.ip("link", "set", BEYOND_LINK, "up")
        network.ip("-n", BEYOND, "address", "add", f"{FAR_END}/30", "dev", "eth0")
        network.ip("-n", BEYOND, "link", "set", "eth0", "up")
        network.ip("-n", BEYOND, "route", "add", str(network.SUBNET), "via", str(MACHINE_END))
        (network.SYSCTL_DIR / f"ipv4/conf/{BEYOND_LINK}/forwarding").write_text("1\n")
        serve = (
            f"import socket; s = socket.create_server(({str(FAR_END)!r}, {BEYOND_PORT}));"
            " print('ready', flush=True)\n"
            "while True:\n c, _ = s.accept(); c.sendall(b'beyond'); c.close()"
        )
        listener = subprocess.Popen(
            ["ip", "netns", "exec", BEYOND, sys.executable, "-c", serve],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert listener.stdout.readline() == "ready\n"
        yield
    finally:
        if listener is not None:
            listener.kill()
            listener.wait(timeout=10)
        if BEYOND_LINK in network.links():
            network.ip("link", "delete", BEYOND_LINK)
        if BEYOND in network.namespaces():
            network.ip("netns", "delete", BEYOND)


def test_a_host_that_adds_a_route_out_still_reaches_nothing_beyond(testbed, on_host):
    """Hosts hold CAP_NET_ADMIN (for their firewalls), so one can route via the machine; what
    it sends that way goes nowhere. First shown possible at all: with the bridge's forwarding
    switched on for a moment and a route to FAR_END only, the host reaches it."""
    first = testbed.hosts[0]
    reach = REACH.format(address=FAR_END, port=BEYOND_PORT)
    switch = network.SYSCTL_DIR / f"ipv4/conf/{network.BRIDGE}/forwarding"
    with beyond_the_machine():
        assert on_host(first, f"ip route add {FAR_END}/32 via {network.GATEWAY}")[0] == 0
        switch.write_text("1\n")
        try:
            assert on_host(first, reach) == (0, "beyond\n")
        finally:
            switch.write_text("0\n")
        assert on_host(first, f"ip route del {FAR_END}/32")[0] == 0

        assert on_host(first, f"ip route add default via {network.GATEWAY}")[0] == 0
        try:
            status, output = on_host(first, reach)
            assert status != 0 and "beyond" not in output
        finally:
            assert on_host(first, "ip route del default")[0] == 0
    assert switch.read_text() == "0\n"


def test_image_holds_every_playbook_package(testbed, on_host):
    host = testbed.hosts[0]
    names = " ".join(image.packages(SUITE))
    status, output = on_host(
        host, f"dpkg-query -W -f '${{Package}} ${{db:Status-Status}}\\n' {names}"
    )
    assert status == 0, output
    expected = [f"{name} installed" for name in image.packages(SUITE)]
    assert sorted(output.split("\n")[:-1]) == expected
    for unit in image.DISABLED_UNITS:
        assert on_host(host, f"systemctl is-enabled {unit}") == (1, "disabled\n")
    assert on_host(host, "systemctl is-active nginx")[1] == "active\n"


def test_another_lane_runs_beside_this_one(testbed, on_host, tmp_path, leftovers):
    """A second testbed in another lane (PANEL_TESTBED_LANE) boots beside this one, with its own
    names and subnet, cannot reach this lane's hosts, and its `down` leaves this lane running."""
    # The last lane, which tests/tools/run-suites gives no tests: a busy neighbour lane would
    # keep this test waiting for its lock until that lane's run ends.
    other = MAX_LANE if LANE != MAX_LANE else MAX_LANE - 1
    environment = {**os.environ, "PANEL_TESTBED_LANE": str(other), "PANEL_INSTANCE": str(tmp_path)}
    other_prefix = "pnltb" if other == 0 else f"pnl{other}t"
    before = leftovers()

    def lane(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "panel.cli", "testbed", *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    with machine_lock(other):
        try:
            up = lane("up", "--hosts", "1", "--no-register")
            assert up.returncode == 0, up.stdout + up.stderr
            assert f"{other_prefix}1\t198.18.{other}.11\t" in up.stdout
            status = lane("status")
            assert status.stdout.startswith(
                f"{other_prefix}1\t198.18.{other}.11\t{SUITE}\trunning, "
            )
            # This lane's hosts are not on the other lane's link.
            reach = f"timeout 3 bash -c 'echo > /dev/tcp/198.18.{other}.11/22'"
            assert on_host(testbed.hosts[0], reach)[0] != 0
        finally:
            down = lane("down")
        assert down.returncode == 0, down.stdout + down.stderr
    # What the other lane made is gone and this lane's is untouched (its hosts' processes come
    # and go on their own).
    churn = "processes in testbed cgroups"
    assert {**leftovers(), churn: None} == {**before, churn: None}
    for host in testbed.hosts:
        assert on_host(host, "systemctl is-system-running") == (0, "running\n")


def test_a_host_that_reboots_comes_back(testbed, on_host, invoke):
    host = testbed.hosts[0]
    # /run is a tmpfs of the container's boot: the marker is gone once it has rebooted.
    assert on_host(host, "touch /run/before-reboot && systemctl --no-block reboot")[0] == 0
    probe = "test -e /run/before-reboot; echo $?; systemctl is-system-running"
    deadline = time.monotonic() + 60
    answer = None
    while answer != (1, "running\n") and time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            answer = on_host(host, probe)
        except (OSError, paramiko.SSHException, EOFError):
            continue
        answer = (int(answer[1].split()[0]), answer[1].split("\n", 1)[1])
    assert answer == (1, "running\n"), "the host did not come back from its reboot within 60 s"
    assert machine.is_keeper(host.pid, host.pid_start)
    first = invoke("status").output.splitlines()[0]
    assert first.startswith(f"{HOST1}\t{ADDRESS1}\t{SUITE}\trunning, ")


def test_status_reports_a_host_that_stopped(testbed, on_host, invoke):
    second = testbed.hosts[1]
    on_host(second, "systemctl --no-block poweroff")
    deadline = time.monotonic() + 30
    while machine.is_keeper(second.pid, second.pid_start) and time.monotonic() < deadline:
        time.sleep(0.2)

    result = invoke("status")
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(f"{HOST1}\t{ADDRESS1}\t{SUITE}\trunning, ")
    assert result.output.splitlines()[1] == f"{HOST2}\t{ADDRESS2}\t{SUITE}\tcontainer stopped"
    again = invoke("up", "--no-setup", "--hosts", "2")
    assert again.exit_code != 0
    assert "some may have stopped" in again.output


def test_down_removes_everything(testbed, invoke, leftovers):
    pids = [host.pid for host in testbed.hosts]
    result = invoke("down")
    assert result.exit_code == 0, result.output
    found = leftovers()
    assert not any(found.values()), found
    assert not any(machine.start_time(pid) for pid in pids)
    assert not saved.state_path().exists()
    assert not saved.known_hosts_path().exists()

    again = invoke("down")
    assert again.exit_code == 0, again.output
    assert invoke("status").output == "the testbed is down\n"


def test_down_cleans_up_after_a_lost_state_file(instance, invoke, leftovers):
    result = invoke("up", "--no-setup", "--hosts", "1")
    assert result.exit_code == 0, result.output
    pid = saved.load().hosts[0].pid
    saved.state_path().unlink()
    assert "leftovers of an earlier testbed" in invoke("status").output

    refused = invoke("up", "--no-setup", "--hosts", "1")
    assert refused.exit_code != 0
    assert "hosts are running that" in refused.output
    assert machine.is_keeper(pid, machine.start_time(pid))

    result = invoke("down")
    assert result.exit_code == 0, result.output
    assert "stopping 1 container(s)" in result.output
    assert machine.start_time(pid) is None
    found = leftovers()
    assert not any(found.values()), found


def test_up_sweeps_what_a_crash_left_behind(instance, invoke, leftovers):
    """A crashed `up` can leave a namespace, a link and a mount without any process."""
    network.ensure_bridge()
    network.add_host(f"{PREFIX}7", network.host_address(7))
    machine.mount_overlay(f"{PREFIX}7", image.image_path(SUITE))

    result = invoke("up", "--no-setup", "--hosts", "1")
    assert result.exit_code == 0, result.output
    assert "removing leftovers of an earlier testbed" in result.output
    found = leftovers()
    assert not [line for line in found["namespaces"] + found["mounts"] if f"{PREFIX}7" in line]
    assert [line.split()[0] for line in found["namespaces"]] == [HOST1]
    assert invoke("down").exit_code == 0
    found = leftovers()
    assert not any(found.values()), found


def test_up_registers_the_hosts_with_the_role_asked_for(instance, invoke, leftovers):
    """The host registered by the tests before, whose name it reuses, takes the new role."""
    try:
        result = invoke("up", "--no-setup", "--hosts", "1", "--role", "managed")
        assert result.exit_code == 0, result.output
        assert f"registered {HOST1} (managed): " in result.output
    finally:
        assert invoke("down").exit_code == 0
    found = leftovers()
    assert not any(found.values()), found


def _clear_panel_key(instance, folder):
    """The panel's key without its passphrase, for the OpenSSH client in a test."""
    key = load_private_key(instance, testbed_ssh.instance_secret())
    path = folder / "id_ed25519"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.OpenSSH,
                serialization.NoEncryption(),
            )
        )
    return path


def _openssh(key_file, known_hosts, address, command):
    return subprocess.run(
        [
            "ssh",
            "-F",
            "none",
            "-i",
            str(key_file),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            f"UserKnownHostsFile={known_hosts}",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "ConnectTimeout=5",
            f"root@{address}",
            command,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
