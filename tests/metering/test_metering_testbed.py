"""Metering end to end: a webspace on a testbed host serves traffic, the agent there counts it,
a real Prometheus scrapes the agent, and the panel's ledger books it - exactly what nginx logged,
across an agent restart and a Prometheus outage, and only once however often it is collected.

One module-scoped live panel with one host; the tests run in file order, each building on the
traffic the one before left. Periods are 10 s long and Prometheus scrapes every second."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from e2e_support import live_panel, quick_prometheus
from hosts_support import http_get
from polling import poll
from sqlalchemy import func, select

from panel.core.audit import acting
from panel.extensions import db
from panel.metering import ledger, usage
from panel.metering.models import Quality, UsageRecord
from panel_testbed import PREFIX

pytestmark = pytest.mark.testbed

HOST = f"{PREFIX}1"
SITE = "meter.example"
INTERVAL = 10
SETTINGS = {"METERING_INTERVAL": INTERVAL, "METERING_DELAY": 2, "METERING_GAP_SECONDS": 4}
FILE_BYTES = 12_345
# The format of roles/webspace's access log: ... "$request" $status $bytes_sent "$http_user_agent"
LOGGED = re.compile(r'" (\d{3}) (\d+) "')


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    # The agent reads the logs every second here (every 15 s by default).
    with (
        live_panel(folder, "sqlite", hosts=1, settings=SETTINGS) as panel,
        quick_prometheus(panel, "agent_interval: 1\nagent_disk_interval: 5\n"),
    ):
        yield panel


@pytest.fixture(scope="module")
def webspace(live):
    client = live.client()
    member = client.post(
        "/api/v1/members", json={"name": "Mia Meter", "email": "mia@example.org", "prefix": "mia"}
    ).json
    created = client.post("/api/v1/webspaces", json={"member_id": member["id"]})
    assert created.status_code == 202, created.json
    live.wait_for_job(created.json["job_id"], "successful", timeout=120)
    domain = client.post(
        f"/api/v1/webspaces/{created.json['id']}/domains", json={"name": SITE, "tls": False}
    )
    assert domain.status_code == 202, domain.json
    live.wait_for_job(domain.json["job_id"], "successful", timeout=120)
    root = f"/home/webspaces/{created.json['name']}/{domain.json['document_root']}"
    status, _ = live.on_host(HOST, f"head -c {FILE_BYTES} /dev/zero > {root}/file.bin")
    assert status == 0
    # Every byte logged since the webspace was made is to be booked: the agent, installed now,
    # reads its logs from their start.
    live.metered_since = datetime.now(UTC)
    agent = client.post("/api/v1/jobs", json={"action": "agent", "hosts": [HOST]})
    assert agent.status_code == 202, agent.json
    live.wait_for_job(agent.json["id"], "successful", timeout=180)
    return created.json


def serve(live, count: int) -> None:
    for _ in range(count):
        response = http_get(live.hosts[HOST].address, SITE, "/file.bin")
        assert response.status == 200 and len(response.body) == FILE_BYTES


def logged(live, name: str) -> tuple[int, int]:
    """Bytes sent and requests, as nginx logged them for the webspace (rotated logs too)."""
    status, text = live.on_host(HOST, f"cat /var/log/webspaces/{name}/access.log*")
    assert status == 0
    sent = [int(match.group(2)) for match in map(LOGGED.search, text.splitlines()) if match]
    return sum(sent), len(sent)


def scraped(live, name: str) -> Decimal | None:
    found = ledger.Prometheus(live.prometheus.url).instant(
        f'panel_webspace_http_response_bytes_total{{webspace="{name}"}}'
    )
    return Decimal(str(found[0][1])) if found else None


def settle(live, name: str) -> None:
    """Wait until Prometheus holds what nginx logged, and the period holding it is over."""
    sent, _ = logged(live, name)
    poll(lambda: scraped(live, name) == sent, 90, f"Prometheus never saw {sent} bytes")
    done = datetime.now(UTC) + timedelta(seconds=INTERVAL + SETTINGS["METERING_DELAY"] + 1)
    poll(lambda: datetime.now(UTC) >= done, INTERVAL * 3, "time stood still")


def booked(live, name: str, metric: str) -> Decimal:
    return live.read(
        lambda: db.session.scalar(
            select(func.coalesce(func.sum(UsageRecord.quantity), 0)).where(
                UsageRecord.resource_name == name, UsageRecord.metric == metric
            )
        )
    )


def collect(live, start: datetime | None = None, end: datetime | None = None) -> SimpleNamespace:
    """A collection as the periodic task runs it, or a backfill from START (to END, else to the
    latest complete period)."""
    with live.app.app_context(), acting("cli"):
        if start is None:
            run = ledger.collect(*ledger.due_periods())
        else:
            end = end or ledger.align(datetime.now(UTC) - timedelta(seconds=2), INTERVAL)
            run = ledger.collect(*ledger.check_range(start - timedelta(seconds=INTERVAL), end))
        # Read while the session is open: the test looks at it after the app context ends.
        return SimpleNamespace(
            **{
                key: getattr(run, key)
                for key in ("status", "error", "records", "period_start", "period_end")
            }
        )


def test_the_ledger_books_exactly_the_bytes_nginx_logged(live, webspace):
    name = webspace["name"]
    serve(live, 7)
    settle(live, name)
    run = collect(live, live.metered_since)
    assert run.status == "complete", run.error
    sent, requests = logged(live, name)
    assert sent >= 7 * FILE_BYTES
    assert booked(live, name, "traffic") == sent
    assert booked(live, name, "requests") == requests
    assert booked(live, name, "disk") > 0


def test_an_agent_restart_loses_nothing_and_counts_nothing_twice(live, webspace):
    name = webspace["name"]
    serve(live, 3)
    status, _ = live.on_host(HOST, "systemctl restart panel-agent")
    assert status == 0
    serve(live, 4)
    settle(live, name)
    run = collect(live)
    assert run.status == "complete", run.error
    assert booked(live, name, "traffic") == logged(live, name)[0]
    assert booked(live, name, "requests") == logged(live, name)[1]


def test_a_prometheus_outage_is_caught_up_and_the_gap_recorded(live, webspace):
    name = webspace["name"]
    live.prometheus.stop()
    serve(live, 5)
    outage_ends = datetime.now(UTC) + timedelta(seconds=2 * INTERVAL)
    poll(lambda: live.read(ledger.due_periods), 3 * INTERVAL, "no period came due")
    failed = collect(live)
    assert failed.status == "failed" and "did not answer" in failed.error
    poll(lambda: datetime.now(UTC) >= outage_ends, 4 * INTERVAL, "time stood still")
    live.prometheus.start()
    serve(live, 2)
    settle(live, name)
    run = collect(live)
    assert run.status == "complete", run.error
    assert booked(live, name, "traffic") == logged(live, name)[0]
    gaps = live.read(
        lambda: db.session.scalar(
            select(func.count()).where(
                UsageRecord.resource_name == name,
                UsageRecord.metric == "disk",
                UsageRecord.quality == Quality.GAP,
                UsageRecord.period_start >= failed.period_start,
            )
        )
    )
    assert gaps >= 1


def count_rows(before: datetime) -> int:
    return db.session.scalar(
        select(func.count()).select_from(UsageRecord).where(UsageRecord.period_start < before)
    )


def test_collecting_the_same_periods_again_adds_no_row(live, webspace):
    # Only the periods the ledger holds: one come due since (a period ends every 10 s) has rows
    # yet to be written, by this collection or by the worker's periodic one.
    until = live.read(ledger.collected_until)
    rows = live.read(lambda: count_rows(until))
    again = collect(live, live.metered_since, until)
    assert again.status == "complete" and again.records == 0
    assert again.period_end == until
    assert live.read(lambda: count_rows(until)) == rows


def test_the_api_returns_the_rows_and_the_fleet_page_the_host_load(live, webspace):
    query = f"webspace={webspace['id']}&metric=traffic&page_size=100"
    rows = live.client().get(f"/api/v1/usage?{query}").json
    assert rows and all(row["resource_name"] == webspace["name"] for row in rows)
    assert sum(Decimal(row["quantity"]) for row in rows) == logged(live, webspace["name"])[0]
    # node_exporter on the host, through the recording rules the fleet page reads.
    with live.app.app_context():
        load = poll(lambda: usage.host_load()[0].get(HOST), 60, "no host load recorded")
    # The testbed's root file system is an overlay, which the disk rule leaves out.
    assert {"cpu", "load", "memory"} <= set(load)
    assert 0 <= load["cpu"] <= 1 and 0 <= load["memory"] <= 1
    # Load per core has no upper bound: a busy machine (CI runs four suites on two cores) may
    # queue several runnable tasks per core.
    assert load["load"] >= 0


def test_the_month_is_billed_by_the_bytes_served(live, webspace):
    """The end-to-end month: the billing run's traffic line is what nginx logged, to the byte."""
    from panel.billing import operations

    sent, _ = logged(live, webspace["name"])
    with live.app.app_context(), acting("cli"):
        period = operations.open_period(datetime.now(UTC).strftime("%Y-%m"))
        operations.add_pool(period, "Uplink", "12.34", "traffic")
        result = operations.run_period(period)
        (invoice,) = result.created
        (line,) = invoice.lines
        assert line.quantity * 10**9 == sent
        assert line.key_total == line.quantity and line.net == Decimal("12.34")
