"""agent.yml against one real testbed host: the agent's counters equal what nginx logged, across
a log rotation and an agent restart; CPU of the webspace's slice, disk of its home and its
databases' sizes; node_exporter; and a second run that changes nothing. The tests run in file
order on shared state."""

import base64
import http.client
import re
import secrets
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hosts_support import describe, http_get, on_host, poll, run_playbook, testbed_hosts
from prometheus_client.parser import text_string_to_metric_families

from panel_testbed import state as saved

pytestmark = pytest.mark.testbed

NAME = "abc00"
SITE = "agent-site.test"
HOME = f"/home/webspaces/{NAME}"
LOGS = f"/var/log/webspaces/{NAME}"
FILE_SIZE = 10_000
TOKEN = secrets.token_hex(32)
AGENT_VARS = {
    "agent_token": TOKEN,
    "agent_interval": 1,
    "agent_disk_interval": 2,
    "agent_database_interval": 2,
}
METRICS_TIMEOUT = 30
BYTES = "panel_webspace_http_response_bytes_total"
REQUESTS = "panel_webspace_http_requests_total"
# The end of a line in the webspace log format: "$request" $status $bytes_sent "$http_user_agent"
LOGGED = re.compile(r'" [0-9]{3} ([0-9]+) "(?:[^"\\]|\\x[0-9A-Fa-f]{2})*"$', re.M)


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database of the test run: the shared rolled-back session stays out."""
    yield None


@dataclass
class Bed:
    state: saved.State

    @property
    def host(self) -> saved.Host:
        return self.state.hosts[0]

    @property
    def address(self) -> str:
        return self.host.address

    def play(self, playbook: str, **extravars):
        started = time.monotonic()
        runner = run_playbook(self.state, playbook, self.host.name, extravars)
        print(
            f"{playbook}: {runner.status}, changed={self.changed(runner)}, "
            f"{time.monotonic() - started:.1f} s"
        )
        assert runner.status == "successful", describe(runner)
        return runner

    def changed(self, runner) -> int:
        return runner.stats["changed"].get(self.host.name, 0) if runner.stats else -1

    def ok(self, command: str) -> str:
        status, output = on_host(self.state, self.host.name, command)
        assert status == 0, f"{command}: exit {status}\n{output}"
        return output

    def get(self, port: int, path: str, token: str | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection(self.address, port, timeout=10)
        try:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode(errors="replace")
        finally:
            connection.close()

    def metrics(self) -> dict:
        """{(sample name, labels): value} the agent exports now, scraped over the network as
        Prometheus scrapes it."""
        status, text = self.get(9835, "/metrics", TOKEN)
        assert status == 200, text
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def metric(self, name: str, **labels) -> float | None:
        return self.metrics().get((name, tuple(sorted(labels.items()))))

    def logged(self, *files: str) -> tuple[int, int]:
        """(sum of $bytes_sent, lines) of the webspace's access log FILES on the host."""
        paths = " ".join(f"{LOGS}/{name}" for name in files)
        text = self.ok(f"cat {paths}")
        sent = [int(size) for size in LOGGED.findall(text)]
        assert len(sent) == len(text.splitlines()), text
        return sum(sent), len(sent)

    def serve(self, count: int) -> None:
        for _ in range(count):
            response = http_get(self.address, SITE, "/file.bin")
            assert response.status == 200
            assert len(response.body) == FILE_SIZE

    def counted(self) -> tuple[float | None, float | None]:
        samples = self.metrics()
        labels = (("webspace", NAME),)
        return samples.get((BYTES, labels)), samples.get((REQUESTS, labels))

    def wait_for_counters(self, *files: str) -> tuple[int, int]:
        """Poll until the agent's counters equal the sums of FILES; returns the sums."""
        expected = self.logged(*files)
        poll(
            lambda: self.counted() == expected,
            METRICS_TIMEOUT,
            f"agent counters {self.counted()} never equal the logged {expected}",
        )
        return expected


@pytest.fixture(scope="module")
def bed() -> Iterator[Bed]:
    with testbed_hosts(1) as state:
        yield Bed(state)


def test_the_agent_counts_what_nginx_logged(bed):
    bed.play("webspace.yml", webspace_name=NAME, webspace_state="active")
    bed.play("domain.yml", webspace_name=NAME, domain_name=SITE)
    # Bytes that do not compress or decode away: the body's length is exact.
    body = base64.b64encode(bytes(range(256)) * 40).decode()[:FILE_SIZE]
    bed.ok(
        f"printf %s {body} | runuser -u {NAME} -- tee {HOME}/domains/{SITE}/htdocs/file.bin "
        ">/dev/null"
    )
    installed = bed.play("agent.yml", **AGENT_VARS)
    assert TOKEN not in installed.stdout.read()
    unit = bed.ok(
        "systemctl show panel-agent --property=ActiveState,ProtectSystem,ProtectHome,"
        "NoNewPrivileges,PrivateTmp,ReadWritePaths"
    )
    for setting in (
        "ActiveState=active",
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/panel-agent",
    ):
        assert setting in unit.splitlines(), unit
    assert bed.ok("stat -c '%a %U' /var/lib/panel-agent").split() == ["700", "root"]
    assert bed.ok("stat -c '%a %U' /etc/panel-agent/token").split() == ["600", "root"]
    # Without the token, from outside or from a webspace on the host: nothing.
    assert bed.get(9835, "/metrics")[0] == 401
    assert bed.get(9835, "/metrics", "wrong")[0] == 401
    status = bed.ok(
        f"runuser -u {NAME} -- curl -s -o /dev/null -w '%{{http_code}}' http://127.0.0.1:9835/metrics"
    )
    assert status == "401"

    bed.serve(5)
    sent, lines = bed.wait_for_counters("access.log")
    assert lines >= 5
    assert sent >= 5 * FILE_SIZE

    status, text = bed.get(9100, "/metrics")
    assert status == 200
    assert "node_cpu_seconds_total" in text

    second = bed.play("agent.yml", **AGENT_VARS)
    assert bed.changed(second) == 0, describe(second)


def test_rotation_loses_nothing_and_counts_nothing_twice(bed):
    before = bed.wait_for_counters("access.log")
    bed.ok("logrotate -f /etc/logrotate.d/webspaces")
    assert {"access.log", "access.log.1"} <= set(bed.ok(f"ls {LOGS}").split())
    bed.serve(3)
    after = bed.wait_for_counters("access.log.1", "access.log")
    assert after[1] == before[1] + 3


def test_a_restart_continues_the_counters(bed):
    before = bed.wait_for_counters("access.log.1", "access.log")
    bed.ok("systemctl restart panel-agent")
    seen = []

    def answering() -> bool:
        try:
            seen.append(bed.counted())
        except OSError:
            return False
        return seen[-1][0] is not None

    poll(answering, METRICS_TIMEOUT, "the agent does not answer after its restart")
    bed.serve(4)
    expected = bed.logged("access.log.1", "access.log")
    assert expected[1] == before[1] + 4

    def caught_up() -> bool:
        seen.append(bed.counted())
        return seen[-1] == expected

    poll(caught_up, METRICS_TIMEOUT, f"agent counters {seen[-1]} never equal {expected}")
    # From its first answer on, never below what it exported before, and never going back.
    for earlier, later in zip([before, *seen], seen, strict=False):
        assert later[0] >= earlier[0] and later[1] >= earlier[1], seen


def test_cpu_of_the_webspace_slice_is_counted(bed):
    def cpu() -> float:
        return bed.metric("panel_webspace_cpu_seconds_total", webspace=NAME) or 0.0

    before = cpu()
    # 0.6 s of CPU, however long a loaded machine takes to give it (a wall-clock loop of a
    # second got only 0.13 s of CPU on a busy CI machine).
    burn = "import time\nstart = time.process_time()\nwhile time.process_time() - start < 0.6: pass"
    bed.ok(
        f"systemd-run --quiet --wait --slice=webspace-{NAME}.slice python3 -c {shlex.quote(burn)}"
    )
    poll(lambda: cpu() >= before + 0.5, METRICS_TIMEOUT, f"CPU stays at {cpu()} from {before}")


def test_disk_usage_of_the_home(bed):
    bed.ok(f"head -c 1048576 /dev/urandom | runuser -u {NAME} -- tee {HOME}/tmp/known >/dev/null")
    used = int(bed.ok(f"du -s --block-size=1 {HOME}").split()[0])
    assert used > 1048576

    def disk() -> float | None:
        return bed.metric("panel_webspace_disk_usage_bytes", webspace=NAME)

    poll(lambda: disk() == used, METRICS_TIMEOUT, f"disk {disk()}, du says {used}")


def test_database_sizes_of_both_engines(bed):
    for engine in ("postgresql", "mariadb"):
        bed.play(
            "database.yml",
            webspace_name=NAME,
            database_engine=engine,
            database_name=f"{NAME}_{engine[:5]}",
            database_user=f"{NAME}_{engine[:5]}",
            database_password="agent test password",
        )

    def sizes() -> dict:
        return {
            labels: size
            for (name, labels), size in bed.metrics().items()
            if name == "panel_database_size_bytes"
        }

    expected = {
        (("database", f"{NAME}_postg"), ("engine", "postgresql"), ("webspace", NAME)),
        (("database", f"{NAME}_maria"), ("engine", "mariadb"), ("webspace", NAME)),
    }
    poll(lambda: set(sizes()) == expected, METRICS_TIMEOUT, f"database sizes: {sizes()}")
    postgresql = sizes()[
        (("database", f"{NAME}_postg"), ("engine", "postgresql"), ("webspace", NAME))
    ]
    assert postgresql > 1_000_000  # an empty PostgreSQL database takes several MB
    samples = bed.metrics()
    for collector in ("logs", "cpu", "disk", "databases"):
        labels = (("collector", collector),)
        assert samples[("panel_agent_collection_errors_total", labels)] == 0, collector
        assert samples[("panel_agent_last_collection_timestamp_seconds", labels)] > 0
