"""monitoring/ with Debian's promtool and Prometheus: the configuration and the rules are valid,
the rules' unit tests pass, and a real Prometheus started from a copy of the folder scrapes
agent-, node_exporter- and panel-like targets (an IPv4 and an IPv6 host, named by file_sd; each
agent with its own token) and records the series the panel reads."""

import json
import math
import shutil
import socket
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from agent_source import panel_agent
from polling import poll
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"
# The ports of the metering contract, which the test copy swaps for free ones.
CONTRACT_PORTS = {"agent": 9835, "node": 9100}
TIMEOUT = 15
HTTP_TIMEOUT = 5
LOOPBACK_V4 = "127.0.0.1"
LOOPBACK_V6 = "::1"
# Each host's agent answers its own token only (panel.hosts.targets.agent_token).
AGENT_TOKENS = {"h1": "token-of-h1", "h2": "token-of-h2"}


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database: the shared rolled-back session stays out."""
    yield None


def _promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PROMTOOL, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_configuration_is_valid():
    # As in the repository: the targets (and the agents' tokens in them) come from the panel.
    checked = _promtool("check", "config", "monitoring/prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The rules it names are found and checked too.
    assert "Checking monitoring/rules/recording.yml" in checked.stdout
    assert "Checking monitoring/rules/alerts.yml" in checked.stdout


def test_the_rules_are_valid():
    files = sorted(str(path.relative_to(ROOT)) for path in (MONITORING / "rules").glob("*.yml"))
    assert files == ["monitoring/rules/alerts.yml", "monitoring/rules/recording.yml"]
    checked = _promtool("check", "rules", *files)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_rules_unit_tests_pass():
    files = sorted(str(path.relative_to(ROOT)) for path in (MONITORING / "tests").glob("*.yml"))
    assert files
    tested = _promtool("test", "rules", *files)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.count("SUCCESS") == len(files), tested.stdout


def test_every_rule_has_a_unit_test():
    rules = yaml.safe_load((MONITORING / "rules" / "recording.yml").read_text())
    alerts = yaml.safe_load((MONITORING / "rules" / "alerts.yml").read_text())
    records = {rule["record"] for group in rules["groups"] for rule in group["rules"]}
    alert_names = {rule["alert"] for group in alerts["groups"] for rule in group["rules"]}
    tested_records, firing, silent = set(), set(), set()
    for path in (MONITORING / "tests").glob("*.yml"):
        for test in yaml.safe_load(path.read_text())["tests"]:
            for check in test.get("promql_expr_test", []):
                if check["exp_samples"]:
                    tested_records.add(check["expr"])
            for check in test.get("alert_rule_test", []):
                (firing if check["exp_alerts"] else silent).add(check["alertname"])
    assert records <= tested_records
    assert alert_names <= firing
    assert alert_names <= silent


class _Fixed:
    """A registry's collector with fixed gauge values and counters that grow with every scrape."""

    def __init__(self, gauges: dict, counters: dict, job: str = "", token: str = ""):
        self.job = job
        self.token = token
        self.gauges = gauges
        self.counters = counters
        self.scrapes = 0

    def collect(self):
        self.scrapes += 1
        for name, series in self.gauges.items():
            family = GaugeMetricFamily(name, name, labels=list(series[0][0]))
            for labels, value in series:
                family.add_metric(list(labels.values()), value)
            yield family
        for name, series in self.counters.items():
            family = CounterMetricFamily(
                name.removesuffix("_total"), name, labels=list(series[0][0])
            )
            for labels, step in series:
                family.add_metric(list(labels.values()), step * self.scrapes)
            yield family


def _agent(webspaces: dict[str, int], token: str) -> _Fixed:
    """Agent-like metrics: disk usage as given; traffic that grows by 1000 bytes a scrape."""
    return _Fixed(
        {"panel_webspace_disk_usage_bytes": [({"webspace": w}, b) for w, b in webspaces.items()]},
        {"panel_webspace_http_response_bytes_total": [({"webspace": w}, 1000) for w in webspaces]},
        job="agent",
        token=token,
    )


def _node() -> _Fixed:
    """node_exporter-like metrics of a host with two CPUs and a load of 3."""
    return _Fixed(
        {"node_load1": [({}, 3.0)]},
        {"node_cpu_seconds_total": [({"cpu": cpu, "mode": "idle"}, 0.5) for cpu in ("0", "1")]},
    )


def _panel() -> _Fixed:
    return _Fixed({"panel_queue_depth": [({}, 0)]}, {})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK_V4, 0))
        return probe.getsockname()[1]


@pytest.fixture
def exporters() -> Iterator[dict[str, int]]:
    """Agent and node_exporter stand-ins on one port each, on both 127.0.0.1 (host h1) and ::1
    (host h2), and a panel stand-in on 127.0.0.1: job name to port."""
    servers = []

    def serve(collector: _Fixed, address: str, port: int = 0) -> int:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(collector)
        if collector.job == "agent":
            # The agent's own server, which answers only its host's token.
            host = f"[{address}]" if ":" in address else address
            server = panel_agent.http_server(f"{host}:{port}", registry, collector.token.encode())
            threading.Thread(target=server.serve_forever, daemon=True).start()
        else:
            server, _ = start_http_server(port, addr=address, registry=registry)
        servers.append(server)
        return server.server_address[1]

    def on_both(v4: _Fixed, v6: _Fixed) -> int:
        # The relabeling gives both hosts of a job the same port: find one free on both.
        for _ in range(10):
            port = serve(v4, LOOPBACK_V4)
            try:
                return serve(v6, LOOPBACK_V6, port)
            except OSError:
                servers.pop().shutdown()
        raise AssertionError("no port free on both 127.0.0.1 and ::1")

    try:
        yield {
            "agent": on_both(
                _agent({"abc01": 1000, "xyz01": 7}, AGENT_TOKENS["h1"]),
                _agent({"abc02": 500}, AGENT_TOKENS["h2"]),
            ),
            "node": on_both(_node(), _node()),
            "panel": serve(_panel(), LOOPBACK_V4),
        }
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def _test_copy(folder: Path, ports: dict[str, int]) -> Path:
    """monitoring/'s configuration and rules with 1 s intervals, the jobs' ports swapped for the
    stand-ins', and the targets the panel would write."""
    shutil.copytree(MONITORING / "rules", folder / "rules")
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    for job in config["scrape_configs"]:
        name = job["job_name"]
        for rule in job.get("relabel_configs", []):
            contract = f":{CONTRACT_PORTS[name]}"
            assert rule["replacement"].endswith(contract), rule
            rule["replacement"] = rule["replacement"].removesuffix(contract) + f":{ports[name]}"
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    targets = folder / "targets"
    targets.mkdir()
    hosts = [
        {"targets": [LOOPBACK_V4], "labels": {"host": "h1", "role": "webspace"}},
        {"targets": [f"[{LOOPBACK_V6}]"], "labels": {"host": "h2", "role": "webspace"}},
    ]
    (targets / "hosts.json").write_text(json.dumps(hosts))
    # As the panel writes them (targets.agent_targets): each host's own token; and h2's agent
    # once more as "h2-with-h1s-token", a target that must not be answered.
    agents = [
        {
            **group,
            "labels": {**group["labels"], "__param_token": AGENT_TOKENS[group["labels"]["host"]]},
        }
        for group in hosts
    ]
    agents.append(
        {
            "targets": [f"[{LOOPBACK_V6}]"],
            "labels": {"host": "h2-with-h1s-token", "__param_token": AGENT_TOKENS["h1"]},
        }
    )
    (targets / "agents.json").write_text(json.dumps(agents))
    panel = [{"targets": [f"{LOOPBACK_V4}:{ports['panel']}"], "labels": {"host": "panel"}}]
    (targets / "panel.json").write_text(json.dumps(panel))
    return folder / "prometheus.yml"


@pytest.fixture
def prometheus(tmp_path, exporters) -> Iterator[str]:
    """The real Prometheus on the test copy, on a free loopback port; its base URL."""
    config = _test_copy(tmp_path / "prometheus", exporters)
    address = f"{LOOPBACK_V4}:{_free_port()}"
    log = tmp_path / "prometheus.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address={address}",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        poll(lambda: _ready(process, f"http://{address}", log), TIMEOUT, "Prometheus not ready")
        yield f"http://{address}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=TIMEOUT)


def _ready(process: subprocess.Popen, url: str, log: Path) -> bool:
    assert process.poll() is None, f"Prometheus exited:\n{log.read_text()[-3000:]}"
    try:
        with _open(f"{url}/-/ready") as response:
            return response.status == 200
    except OSError:
        return False


def _open(url: str):
    # No proxy from the environment: loopback only.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(url, timeout=HTTP_TIMEOUT)


def _api(url: str, path: str, **params: str) -> dict:
    with _open(f"{url}/api/v1/{path}?{urllib.parse.urlencode(params)}") as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]


def _values(url: str, query: str) -> dict[str, float]:
    """QUERY's instant vector as {"label=value,...": value}, without the metric name."""
    result = _api(url, "query", query=query)["result"]
    return {
        ",".join(f"{k}={v}" for k, v in sorted(series["metric"].items()) if k != "__name__"): (
            float(series["value"][1])
        )
        for series in result
    }


def test_prometheus_scrapes_the_targets_and_records_the_panels_series(prometheus, exporters):
    def all_scraped() -> list[dict] | None:
        targets = _api(prometheus, "targets", state="active")["activeTargets"]
        health = sorted(target["health"] for target in targets)
        return targets if health == ["down"] + ["up"] * 5 else None

    targets = poll(all_scraped, TIMEOUT, "not five targets up and one refused")
    # Each agent was sent its own host's token, as the URL parameter; h1's token opens no
    # other host's agent.
    (refused,) = [target for target in targets if target["health"] == "down"]
    assert refused["labels"]["host"] == "h2-with-h1s-token"
    assert "401" in refused["lastError"], refused["lastError"]
    targets.remove(refused)
    agent_urls = {
        target["labels"]["host"]: target["scrapeUrl"]
        for target in targets
        if target["labels"]["job"] == "agent"
    }
    assert agent_urls == {
        "h1": f"http://127.0.0.1:{exporters['agent']}/metrics?token={AGENT_TOKENS['h1']}",
        "h2": f"http://[::1]:{exporters['agent']}/metrics?token={AGENT_TOKENS['h2']}",
    }
    assert all("token" not in label for target in targets for label in target["labels"])
    scraped = {
        (target["labels"]["job"], target["labels"]["host"], target["labels"]["instance"])
        for target in targets
    }
    agent, node, panel = exporters["agent"], exporters["node"], exporters["panel"]
    assert scraped == {
        ("agent", "h1", f"127.0.0.1:{agent}"),
        ("agent", "h2", f"[::1]:{agent}"),
        ("node", "h1", f"127.0.0.1:{node}"),
        ("node", "h2", f"[::1]:{node}"),
        ("panel", "panel", f"127.0.0.1:{panel}"),
    }
    assert {target["scrapeUrl"] for target in targets if target["labels"]["job"] == "panel"} == {
        f"http://127.0.0.1:{panel}/metrics"
    }

    expected = {
        "webspace:panel_webspace_disk_usage_bytes:sum": {
            "webspace=abc01": 1000.0,
            "webspace=abc02": 500.0,
            "webspace=xyz01": 7.0,
        },
        # abc01 on h1 and abc02 on h2 belong to the same member.
        "member:panel_webspace_disk_usage_bytes:sum": {"member=abc": 1500.0, "member=xyz": 7.0},
        "host:node_load1_per_cpu:ratio": {"host=h1": 1.5, "host=h2": 1.5},
    }
    for query, values in expected.items():
        poll(lambda q=query, v=values: _values(prometheus, q) == v, TIMEOUT, f"no {query}")

    # Two scrapes of each agent make a rate; its size depends on how much of the 5 minutes has
    # samples.
    def rates() -> dict[str, float] | None:
        values = _values(prometheus, "member:panel_webspace_http_response_bytes:rate5m")
        return values if set(values) == {"member=abc", "member=xyz"} else None

    recorded = poll(rates, TIMEOUT, "no traffic rate recorded for both members")
    assert all(value > 0 and math.isfinite(value) for value in recorded.values())
