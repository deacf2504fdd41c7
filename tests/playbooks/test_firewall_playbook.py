"""The host firewall (base.yml) and the agent's defences against two real testbed hosts: the
machine plays the panel and its Prometheus (the gateway address), the second host a neighbour.

Each host's agent has its own token; the firewall lets the machine reach SSH, HTTP(S) and both
exporters on host 1, and the neighbour only HTTP(S); it never cuts the connection that applies
it (nor does sshd's penalty lock the panel out), survives a reboot, changes nothing on a second
run, and refuses bad settings without touching the loaded ruleset; the agent cuts idle and
trickling clients while scrapes go on.
The tests run in file order on shared state."""

import http.client
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import paramiko
import pytest
from hosts_support import describe, failure_messages, on_host, poll, run_playbook, testbed_hosts

from panel_testbed import network
from panel_testbed import ssh as testbed_ssh
from panel_testbed import state as saved

pytestmark = pytest.mark.testbed

MACHINE = str(network.GATEWAY)
AGENT, NODE = 9835, 9100
CONNECT_TIMEOUT = 3
# Cut after the agent's REQUEST_TIMEOUT (10 s); the deadline leaves room for a busy machine.
CUT_TIMEOUT = 45
REBOOT_TIMEOUT = 120
LISTENER = "fw-probe-443"
# Connections that end without logging in, 1 s of sshd's penalty each: well past its 15 s.
PENALTY_BURST = 25


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database of the test run: the shared rolled-back session stays out."""
    yield None


@dataclass
class Bed:
    state: saved.State
    tokens: dict[str, str]

    @property
    def first(self) -> saved.Host:
        return self.state.hosts[0]

    @property
    def second(self) -> saved.Host:
        return self.state.hosts[1]

    def play(self, host: saved.Host, playbook: str, succeed: bool = True, **extravars):
        started = time.monotonic()
        runner = run_playbook(self.state, playbook, host.name, extravars)
        print(
            f"{playbook} on {host.name}: {runner.status}, changed={self.changed(runner, host)},"
            f" {time.monotonic() - started:.1f} s"
        )
        if succeed:
            assert runner.status == "successful", describe(runner)
        return runner

    @staticmethod
    def changed(runner, host: saved.Host) -> int:
        return runner.stats["changed"].get(host.name, 0) if runner.stats else -1

    def ok(self, host: saved.Host, command: str) -> str:
        status, output = on_host(self.state, host.name, command)
        assert status == 0, f"{command}: exit {status}\n{output}"
        return output

    def ruleset(self, host: saved.Host) -> str:
        return self.ok(host, "nft list ruleset")

    def agent_status(self, host: saved.Host, token: str | None, *, bearer: bool = False) -> int:
        """The status host's agent answers the machine for a scrape with TOKEN."""
        connection = http.client.HTTPConnection(host.address, AGENT, timeout=10)
        try:
            if bearer:
                connection.request("GET", "/metrics", headers={"Authorization": f"Bearer {token}"})
            else:
                connection.request("GET", f"/metrics?token={token}" if token else "/metrics")
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def neighbour_reaches(self, port: int) -> bool:
        """Whether host 2 opens a TCP connection to host 1's PORT."""
        probe = (
            "python3 -c 'import socket; socket.create_connection("
            f'("{self.first.address}", {port}), {CONNECT_TIMEOUT})\''
        )
        return on_host(self.state, self.second.name, probe)[0] == 0


def machine_reaches(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), CONNECT_TIMEOUT).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def bed() -> Iterator[Bed]:
    with testbed_hosts(2) as state:
        tokens = {host.name: secrets.token_hex(32) for host in state.hosts}
        yield Bed(state, tokens)


def test_each_host_answers_its_own_token_only(bed):
    # As the panel's agent job passes them: every host's token, each host takes its own.
    for host in (bed.first, bed.second):
        installed = bed.play(host, "agent.yml", agent_tokens=bed.tokens)
        output = installed.stdout.read()
        assert not [token for token in bed.tokens.values() if token in output]
    first, second = bed.tokens[bed.first.name], bed.tokens[bed.second.name]
    assert bed.agent_status(bed.first, first) == 200
    assert bed.agent_status(bed.first, first, bearer=True) == 200
    assert bed.agent_status(bed.second, second) == 200
    # Host 1's token, which host 1 holds, reads no other host's agent.
    assert bed.agent_status(bed.second, first) == 401
    assert bed.agent_status(bed.second, first, bearer=True) == 401
    assert bed.agent_status(bed.first, second) == 401
    assert bed.agent_status(bed.first, None) == 401


def test_without_the_firewall_the_neighbour_reaches_everything(bed):
    # What the firewall must change: today the neighbour reaches SSH and both exporters.
    assert "panel_base" not in bed.ruleset(bed.first)
    for port in (22, NODE, AGENT, 80):
        assert bed.neighbour_reaches(port), port


def test_the_firewall_lets_the_panel_in_and_keeps_the_neighbour_out(bed):
    bed.ok(bed.first, f"systemd-run --unit={LISTENER} python3 -m http.server 443")
    poll(lambda: machine_reaches(bed.first.address, 443), 20, "no probe listener on 443")
    # A session the panel holds open while the firewall is loaded.
    client = testbed_ssh.connect(
        bed.first.address, bed.first.ssh_port, saved.known_hosts_path(), testbed_ssh.panel_key()
    )
    try:
        assert _run(client, "echo before") == "before\n"
        # SSH sources that do not name the machine: the running connection's own address is
        # added all the same, so the panel cannot lock itself out.
        applied = bed.play(bed.first, "base.yml", base_panel_ssh_sources=["192.0.2.99"])
        assert bed.changed(applied, bed.first) > 0
        assert _run(client, "echo after") == "after\n"
    finally:
        client.close()
    ruleset = bed.ruleset(bed.first)
    assert "policy drop" in ruleset and MACHINE in ruleset and "192.0.2.99" in ruleset

    for port in (22, 80, 443, NODE, AGENT):
        assert machine_reaches(bed.first.address, port), port
    token = bed.tokens[bed.first.name]
    assert bed.agent_status(bed.first, token) == 200
    for port in (22, NODE, AGENT):
        assert not bed.neighbour_reaches(port), port
    for port in (80, 443):
        assert bed.neighbour_reaches(port), port
    # Host 1 itself still gets out and gets its answers (established traffic).
    status = f"curl -s -o /dev/null -w '%{{http_code}}' http://{bed.second.address}/"
    assert bed.ok(bed.first, status) == "200"


def _run(client: paramiko.SSHClient, command: str) -> str:
    _, stdout, _ = client.exec_command(command, timeout=30)
    return stdout.read().decode()


def test_a_second_run_changes_nothing(bed):
    again = bed.play(bed.first, "base.yml", base_panel_ssh_sources=["192.0.2.99"])
    assert bed.changed(again, bed.first) == 0, describe(again)


def greeting(address: str) -> bytes:
    """The first line host ADDRESS's sshd sends the machine (its version, or a refusal), read
    without logging in: to sshd, a connection that ends without trying to."""
    with socket.create_connection((address, 22), CONNECT_TIMEOUT) as connection:
        connection.settimeout(CONNECT_TIMEOUT)
        return connection.recv(64)


def test_sshd_never_locks_the_panel_out_where_base_ran(bed):
    # OpenSSH's per-source penalties (trixie's 10.0): a connection that ends without logging in
    # costs its address a second, and past 15 s the address is refused for a while. Host 2 has
    # no base.yml: there the burst locks the machine out (so the burst suffices) until the
    # penalty runs out; host 1 exempts the panel's addresses and the machine's own.
    if bed.first.suite == "bookworm":
        # Its sshd (9.2) has no penalties and no such setting: base.yml writes none.
        drop_in = "/etc/ssh/sshd_config.d/00-panel-base.conf"
        assert on_host(bed.state, bed.first.name, f"test -e {drop_in}")[0] != 0
        return
    exempt = bed.ok(bed.first, f"sshd -T -C user=root,host=panel,addr={MACHINE}")
    assert f"persourcepenaltyexemptlist 192.0.2.99,{MACHINE}\n" in exempt, exempt
    burst = [greeting(bed.second.address) for _ in range(PENALTY_BURST)]
    assert burst[-1].startswith(b"Not allowed at this time"), burst
    poll(
        lambda: greeting(bed.second.address).startswith(b"SSH-2.0-"),
        PENALTY_BURST * 3,
        "host 2's sshd still refusing the machine",
    )
    burst = [greeting(bed.first.address) for _ in range(PENALTY_BURST)]
    assert all(line.startswith(b"SSH-2.0-") for line in burst), burst
    assert bed.ok(bed.first, "echo still in") == "still in\n"


def test_the_ruleset_is_persisted_and_loaded_again(bed):
    assert bed.ok(bed.first, "systemctl is-enabled nftables") == "enabled\n"
    assert bed.ok(bed.first, "head -n 1 /etc/nftables.conf") == "#!/usr/sbin/nft -f\n"
    loaded = bed.ruleset(bed.first)
    # Flushed by hand: the next run loads it again, though its file is unchanged.
    bed.ok(bed.first, "nft flush ruleset")
    assert bed.neighbour_reaches(AGENT)
    reloaded = bed.play(bed.first, "base.yml", base_panel_ssh_sources=["192.0.2.99"])
    assert bed.changed(reloaded, bed.first) > 0
    assert bed.ruleset(bed.first) == loaded
    assert not bed.neighbour_reaches(AGENT)

    # And at boot, by nftables.service.
    # /run is empty after a boot: a host that still has the marker has not rebooted yet (a poll
    # right after the --no-block reboot may still find the old boot running).
    marker = "/run/panel-test-before-reboot"
    bed.ok(bed.first, f"touch {marker}; systemctl stop {LISTENER}; systemctl --no-block reboot")

    def back() -> bool:
        command = f"test ! -e {marker} && systemctl is-system-running"
        try:
            status, output = on_host(bed.state, bed.first.name, command)
        except (OSError, paramiko.SSHException, EOFError):
            return False
        return status == 0 and output == "running\n"

    poll(back, REBOOT_TIMEOUT, "host 1 did not come back from its reboot")
    assert bed.ruleset(bed.first) == loaded
    assert not bed.neighbour_reaches(AGENT)
    assert bed.agent_status(bed.first, bed.tokens[bed.first.name]) == 200


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"base_panel_monitoring_sources": ["prometheus.example.org"]}, "IPv4 or IPv6"),
        ({"base_firewall_open": [{"protocol": "icmp", "ports": "8"}]}, "protocol (tcp or udp)"),
        ({"base_firewall_open": [{"protocol": "udp", "ports": "1-2;"}]}, "ports"),
        # Past the pattern, refused by nft's own check: the ruleset file is not written.
        ({"base_panel_monitoring_sources": ["198.18.0.300"]}, "failed to validate"),
    ],
)
def test_bad_settings_fail_and_leave_the_firewall_as_it_was(bed, settings, message):
    before = (bed.ruleset(bed.first), bed.ok(bed.first, "cat /etc/nftables.conf"))
    failed = bed.play(bed.first, "base.yml", succeed=False, **settings)
    assert failed.status == "failed"
    reasons = " ".join(failure_messages(failed))
    assert message in reasons, reasons
    assert (bed.ruleset(bed.first), bed.ok(bed.first, "cat /etc/nftables.conf")) == before


class Trickler(threading.Thread):
    """A client of host 1's agent that sends its request a byte a second, never finishing."""

    def __init__(self, address: str):
        super().__init__(daemon=True)
        self.connection = socket.create_connection((address, AGENT), 10)
        self.stop = threading.Event()
        self.cut = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1):
            try:
                self.connection.send(b"a")
            except OSError:
                self.cut.set()
                return


def closed(connection: socket.socket) -> bool:
    connection.setblocking(False)
    try:
        return connection.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def test_the_agent_cuts_idle_and_trickling_clients_while_scrapes_go_on(bed):
    address, token = bed.first.address, bed.tokens[bed.first.name]
    idle = [socket.create_connection((address, AGENT), 10) for _ in range(300)]
    tricklers = [Trickler(address) for _ in range(5)]
    try:
        for trickler in tricklers:
            trickler.connection.send(b"GET /metrics HTTP/1.1\r\nX-Slow: ")
            trickler.start()
        for _ in range(5):
            assert bed.agent_status(bed.first, token) == 200
        poll(lambda: all(map(closed, idle)), CUT_TIMEOUT, "idle clients are not cut")
        poll(lambda: all(t.cut.is_set() for t in tricklers), CUT_TIMEOUT, "tricklers not cut")
        assert bed.agent_status(bed.first, token) == 200
    finally:
        for trickler in tricklers:
            trickler.stop.set()
            trickler.connection.close()
        for connection in idle:
            connection.close()
