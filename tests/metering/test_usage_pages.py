"""The usage pages and /api/v1/usage, over ledger rows written directly."""

from datetime import timedelta

import pytest
from ledger_rows import ledger_row
from prometheus_support import PrometheusServer, write_blocks
from sqlalchemy import func, select

from panel.core.models import utcnow
from panel.extensions import db
from panel.metering.models import CollectionRun, UsageRecord
from panel.metering.usage import chart

HOUR = timedelta(hours=1)


def hourly(webspace, metric="traffic", hours_ago=1, quantity=1500, quality="complete"):
    start = utcnow().replace(minute=0, second=0, microsecond=0) - HOUR * hours_ago
    return ledger_row(webspace, metric, quantity, start, quality)


@pytest.fixture
def member_webspace(make_member, make_webspace):
    return make_webspace(make_member("pag"))


def test_the_chart_sums_the_periods_of_each_bar_and_marks_incomplete_ones(member_webspace):
    hourly(member_webspace, hours_ago=2, quantity=1000)
    hourly(member_webspace, hours_ago=3, quantity=500, quality="gap")
    buckets = chart(member_webspace.id, "traffic", "24h")
    assert len(buckets) == 24
    assert sum(b.quantity for b in buckets) == 1500
    assert [b.incomplete for b in buckets if b.quantity] == [True, False]
    week = chart(member_webspace.id, "traffic", "7d")
    assert len(week) == 7 and sum(b.quantity for b in week) == 1500


def test_a_member_sees_its_webspace_usage_with_chart_and_ledger_rows(member_webspace, login_as):
    hourly(member_webspace, quantity=2_500_000)
    hourly(member_webspace, metric="disk", quantity=7200, quality="gap")
    client, _ = login_as(member_webspace.member.users[0])
    page = client.get(f"/webspaces/{member_webspace.id}/usage")
    assert page.status_code == 200
    assert "<svg" in page.text and 'class="bar"' in page.text
    assert "2.50 MB" in page.text
    overview = client.get("/usage")
    assert member_webspace.name in overview.text and "2.50 MB" in overview.text
    disk = client.get(f"/webspaces/{member_webspace.id}/usage?metric=disk&range=7d")
    assert "7.20 kB·h" in disk.text
    assert "1800 s measured" in disk.text


@pytest.mark.parametrize("query", ["metric=bogus", "range=1y", "metric=traffic&range=%00"])
def test_bad_choices_on_the_usage_page_are_refused(member_webspace, login_as, query):
    client, _ = login_as(member_webspace.member.users[0])
    page = client.get(f"/webspaces/{member_webspace.id}/usage?{query}")
    assert page.status_code == 422
    assert "One of:" in page.text


def test_the_fleet_page_shows_totals_gaps_runs_and_why_host_load_is_missing(
    member_webspace, login_as, app, monkeypatch
):
    hourly(member_webspace, quantity=4000)
    hourly(member_webspace, hours_ago=2, quantity=10, quality="reset")
    now = utcnow()
    db.session.add(
        CollectionRun(
            period_start=now - HOUR,
            period_end=now - HOUR,
            status="failed",
            error="Prometheus at http://x did not answer",
        )
    )
    db.session.commit()
    monkeypatch.setitem(app.config, "PROMETHEUS_URL", None)
    client, _ = login_as("admin")
    page = client.get("/admin/usage")
    assert page.status_code == 200
    assert "4.01 kB" in page.text
    assert "counter reset" in page.text and member_webspace.name in page.text
    assert "did not answer" in page.text
    assert "PANEL_PROMETHEUS_URL" in page.text


def test_the_api_filters_the_ledger_by_webspace_metric_and_time(member_webspace, api_as):
    older = hourly(member_webspace, hours_ago=5, quantity=1)
    newer = hourly(member_webspace, hours_ago=1, quantity=2)
    hourly(member_webspace, metric="disk", hours_ago=1, quantity=3)
    client, _ = api_as(member_webspace.member.users[0])
    since = (utcnow() - 3 * HOUR).isoformat()
    answer = client.get(
        "/api/v1/usage",
        query_string={"webspace": member_webspace.id, "metric": "traffic", "from": since},
    )
    assert answer.status_code == 200
    assert [row["id"] for row in answer.json] == [newer.id]
    row = answer.json[0]
    assert row["quantity"] == "2.000000" and row["raw_end"] == "2.000000"
    assert row["unit"] == "B" and row["quality"] == "complete"
    everything = client.get("/api/v1/usage", query_string={"page_size": 100}).json
    assert {r["id"] for r in everything} >= {older.id, newer.id}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"metric": "bogus"}, "metric"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
        ({"webspace": 0}, "webspace"),
        ({"color": "red"}, "color"),
    ],
)
def test_bad_usage_queries_get_a_422_naming_the_field(member_webspace, api_as, query, field):
    before = db.session.scalar(select(func.count()).select_from(UsageRecord))
    client, _ = api_as(member_webspace.member.users[0])
    answer = client.get("/api/v1/usage", query_string=query)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(UsageRecord)) == before


def test_pages_show_current_rates_and_host_load_from_prometheus(
    member_webspace, login_as, app, monkeypatch, tmp_path
):
    now = utcnow().timestamp()
    recent = [now - 60 + i * 15 for i in range(4)]
    name = member_webspace.name
    write_blocks(
        tmp_path,
        {
            f'webspace:panel_webspace_http_response_bytes:rate5m{{webspace="{name}"}}': [
                (at, 2500) for at in recent
            ],
            f'webspace:panel_webspace_cpu_seconds:rate5m{{webspace="{name}"}}': [
                (at, 0.25) for at in recent
            ],
            'host:node_cpu_utilisation:ratio{host="web7"}': [(at, 0.42) for at in recent],
            'host:node_memory_utilisation:ratio{host="web7"}': [(at, 0.5) for at in recent],
        },
    )
    server = PrometheusServer(tmp_path).start()
    try:
        monkeypatch.setitem(app.config, "PROMETHEUS_URL", server.url)
        client, _ = login_as(member_webspace.member.users[0])
        page = client.get(f"/webspaces/{member_webspace.id}/usage")
        assert "2.50 kB/s" in page.text
        assert "25.0 % of a CPU" in page.text
        admin, _ = login_as("admin")
        fleet = admin.get("/admin/usage").text
        assert "<td>web7</td>" in fleet and "42 %" in fleet and "50 %" in fleet
    finally:
        server.stop()
