"""The ledger reads Prometheus only through its standard query API (`/api/v1/query`), and under
any URL prefix: a long-term store that speaks that API (Thanos Query, Mimir at `/prometheus`,
VictoriaMetrics at `/select/0/prometheus`) can stand in for the Prometheus that scrapes the hosts.

The stand-in here is a recording proxy under `/prometheus` in front of a real Prometheus whose
samples were written with promtool."""

import http.server
import threading
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from prometheus_support import PrometheusServer, write_blocks
from sqlalchemy import select

from panel.core.models import utcnow
from panel.extensions import db
from panel.metering import ledger
from panel.metering.models import UsageRecord

INTERVAL = 60
STEP = 5
PREFIX = "/prometheus"
T = ledger.align(utcnow() - timedelta(hours=1), 3600)
T0 = T.timestamp()
TRAFFIC = "panel_webspace_http_response_bytes_total"
DISK = "panel_webspace_disk_usage_bytes"


def steady(first: float, per_step: float) -> list[tuple[float, float]]:
    return [
        (at, first + i * per_step) for i, at in enumerate(range(int(T0 - 60), int(T0 + 121), STEP))
    ]


SAMPLES = {
    f'{TRAFFIC}{{job="agent",webspace="sto00"}}': steady(1000, 10),
    f'{DISK}{{job="agent",webspace="sto00"}}': steady(7200, 0),
}


class RecordingProxy(http.server.ThreadingHTTPServer):
    """Answers GETs under PREFIX with the upstream's answer to the rest of the path."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{PREFIX}"


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: RecordingProxy

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.paths.append(path)
        if not self.path.startswith(f"{PREFIX}/"):
            self.send_error(404)
            return
        target = self.server.upstream + self.path.removeprefix(PREFIX)
        with urllib.request.urlopen(target, timeout=30) as answer:
            body = answer.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        """Quiet: the test reads the recorded paths."""


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[RecordingProxy]:
    folder = tmp_path_factory.mktemp("prometheus")
    write_blocks(folder, SAMPLES)
    server = PrometheusServer(folder).start()
    proxy = RecordingProxy(server.url)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()
    server.stop()


def test_the_ledger_reads_a_store_under_a_prefix_through_the_query_api_alone(
    app, monkeypatch, store, make_member, make_webspace
):
    for key, value in {
        "PROMETHEUS_URL": store.url,
        "METERING_INTERVAL": INTERVAL,
        "METERING_GAP_SECONDS": 20,
        "METERING_DELAY": 0,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    make_webspace(make_member("sto"))

    run = ledger.collect(T, T + timedelta(seconds=2 * INTERVAL))

    assert run.status == "complete", run.error
    rows = db.session.scalars(
        select(UsageRecord).order_by(UsageRecord.metric, UsageRecord.period_start)
    ).all()
    assert [(row.metric, row.quantity) for row in rows if row.metric == "traffic"] == [
        ("traffic", Decimal(120)),
        ("traffic", Decimal(120)),
    ]
    # 7,200 bytes held for a minute: 120 byte-hours a period.
    assert [row.quantity for row in rows if row.metric == "disk"] == [Decimal(120)] * 2
    assert store.paths and set(store.paths) == {f"{PREFIX}/api/v1/query"}
