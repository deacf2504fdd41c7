"""Benchmark: the host agent (agents/panel_agent.py) with 1,000 and 10,000 generated webspaces
against a baseline of 1 in the same process: one pass of each collector, and a scrape over HTTP
(median of 20, as curl asks and as Prometheus asks: OpenMetrics, gzip). Target: a scrape of
10,000 webspaces under 100 ms.

The webspaces live in a temporary folder: homes with a few files, access logs of a few hundred
lines, cpu.stat files of fake slices; the database pass parses generated client output (the
clients' own run time is not part of it). No testbed, no root needed:
`.venv/bin/python -m tests.bench.bench_agent`.
"""

import http.client
import importlib.util
import platform
import shutil
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path

from tests.bench.support import ROOT, median_of

AGENT_FILE = ROOT / "agents" / "panel_agent.py"
WEBSPACES = (1000, 10_000)
LOG_LINES = 300
NEW_LINES = 10
SCRAPES = 20
PASSES = 5
TARGET_SCRAPE = 0.1
PROMETHEUS_HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
    "Accept-Encoding": "gzip",
}


def load_agent():
    spec = importlib.util.spec_from_file_location("panel_agent", AGENT_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def name_of(number: int) -> str:
    letters = "".join(chr(97 + (number // 26**i) % 26) for i in (2, 1, 0))
    return f"{letters}{number % 100:02d}"


def log_line(number: int) -> str:
    return (
        f"site{number % 3}.example 198.18.0.{number % 250} [2024-05-01T12:00:00+00:00] "
        f'"GET /page/{number}?q=\\x22x\\x22 HTTP/1.1" 200 {1000 + number} '
        f'"Mozilla/5.0 (X11; Linux x86_64) bench/{number}"\n'
    )


def generate(folder: Path, count: int) -> list[str]:
    """COUNT webspaces under FOLDER: homes, logs, slices; their names."""
    names = [name_of(number) for number in range(count)]
    lines = "".join(log_line(number) for number in range(LOG_LINES))
    stat = "usage_usec {}\nuser_usec 1\nsystem_usec 1\n"
    for number, name in enumerate(names):
        htdocs = folder / "homes" / name / "domains" / f"{name}.example" / "htdocs"
        htdocs.mkdir(parents=True)
        for file in ("index.html", "style.css", "app.php", "logo.png"):
            (htdocs / file).write_bytes(b"x" * (1000 * (number % 7 + 1)))
        (folder / "homes" / name / "tmp").mkdir()
        (folder / "logs" / name).mkdir(parents=True)
        (folder / "logs" / name / "access.log").write_text(lines)
        slice_folder = folder / "cgroup" / "webspace.slice" / f"webspace-{name}.slice"
        slice_folder.mkdir(parents=True)
        (slice_folder / "cpu.stat").write_text(stat.format(1_000_000 + number))
    return names


def append_lines(folder: Path, names: list[str]) -> None:
    lines = "".join(log_line(number) for number in range(NEW_LINES))
    for name in names:
        with (folder / "logs" / name / "access.log").open("a") as handle:
            handle.write(lines)


def database_output(names: list[str]) -> tuple[str, str]:
    """What mysql and psql print for two databases per webspace (and the system's own)."""
    mariadb = "".join(f"{name}_shop\t{16384 * (i + 1)}\n" for i, name in enumerate(names))
    mariadb += "mysql\t2154496\ninformation_schema\t0\nperformance_schema\t0\nsys\t0\n"
    postgresql = "".join(f"{name}_blog|{7767827 + i}\n" for i, name in enumerate(names))
    return mariadb, postgresql + "postgres|7631663\n"


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def scrape(port: int, headers: dict) -> tuple[float, int]:
    """Seconds for one GET /metrics (a new connection, as Prometheus opens per scrape: no
    keep-alive in the agent's server), and the body's size."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/metrics", headers=headers)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, response.status
    finally:
        connection.close()
    return time.perf_counter() - started, len(body)


def measure(panel_agent, count: int) -> dict:
    """The figures for COUNT webspaces, in seconds (and the scrapes' sizes in bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="panel-bench-agent-"))
    try:
        names = generate(folder, count)
        mariadb, postgresql = database_output(names)
        agent = panel_agent.Agent(
            folder / "logs",
            folder / "homes",
            folder / "cgroup",
            folder / "state.json",
            database_engines={
                "mariadb": lambda: panel_agent.parse_mariadb(mariadb),
                "postgresql": lambda: panel_agent.parse_postgresql(postgresql),
            },
        )
        figures = {"logs: first pass": timed(lambda: agent.run_pass("logs"))}
        figures["logs: nothing new"] = median_of(
            PASSES, lambda: timed(lambda: agent.run_pass("logs"))
        )

        def new_lines_pass() -> float:
            append_lines(folder, names)
            return timed(lambda: agent.run_pass("logs"))

        figures[f"logs: {NEW_LINES} new lines each"] = median_of(PASSES, new_lines_pass)
        for collector in ("cpu", "disk", "databases"):
            figures[collector] = median_of(
                PASSES, lambda c=collector: timed(lambda: agent.run_pass(c))
            )
        assert all(agent.run_pass(collector) for collector in panel_agent.COLLECTORS)

        server = panel_agent.http_server("127.0.0.1:0", agent.registry)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        port = server.server_address[1]
        try:
            for label, headers in (
                ("scrape as curl", {}),
                ("scrape as Prometheus", PROMETHEUS_HEADERS),
            ):
                scrape(port, headers)  # warm up
                results = [scrape(port, headers) for _ in range(SCRAPES)]
                figures[label] = sorted(seconds for seconds, _ in results)[SCRAPES // 2]
                figures[f"{label}: bytes"] = results[-1][1]
        finally:
            server.shutdown()
            server.server_close()
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    panel_agent = load_agent()
    one = measure(panel_agent, 1)
    many = {count: measure(panel_agent, count) for count in WEBSPACES}
    print(
        f"host agent: {' and '.join(f'{count:,}' for count in WEBSPACES)} webspaces "
        f"({LOG_LINES} log lines, 4 files each, 2 databases each) against 1; passes median of "
        f"{PASSES} (first pass once), scrapes median of {SCRAPES}; Python "
        f"{platform.python_version()}, prometheus_client {version('prometheus_client')}"
    )
    heads = "".join(f"{f'{count:,} webspaces':>18} {'ratio':>8}" for count in WEBSPACES)
    print(f"{'':32} {'1 webspace':>12}{heads}")
    for label, seconds in one.items():
        if label.endswith("bytes"):
            continue
        cells = "".join(
            f"{many[count][label] * 1000:15.2f} ms {many[count][label] / seconds:8.1f}"
            for count in WEBSPACES
        )
        print(f"{label:32} {seconds * 1000:9.2f} ms{cells}")
    for label in ("scrape as curl: bytes", "scrape as Prometheus: bytes"):
        cells = "".join(f"{many[count][label]:16d} B {'':8}" for count in WEBSPACES)
        print(f"{label:32} {one[label]:9d} B {cells}")
    for count in WEBSPACES:
        scrape_time = max(many[count]["scrape as curl"], many[count]["scrape as Prometheus"])
        verdict = "met" if scrape_time < TARGET_SCRAPE else "MISSED"
        print(
            f"scrape of {count:,} webspaces: {scrape_time * 1000:.1f} ms "
            f"(target < {TARGET_SCRAPE * 1000:.0f} ms: {verdict})"
        )


if __name__ == "__main__":
    main()
