"""The ledger against a real Prometheus whose samples were written beforehand with promtool, so
that every expected quantity is known exactly."""

from datetime import timedelta
from decimal import Decimal

import pytest
from prometheus_support import PrometheusServer, free_port, store_under_prefix, write_blocks
from sqlalchemy import func, select

from panel.core.errors import ValidationFailed
from panel.core.models import utcnow
from panel.extensions import db
from panel.metering import ledger
from panel.metering.models import CollectionRun, Quality, UsagePeriodTotal, UsageRecord
from panel.metering.tasks import collect_due

INTERVAL = 60
GAP = 20
STEP = 5
# Three whole periods, an hour back: inside Prometheus' retention, long complete.
T = ledger.align(utcnow() - timedelta(hours=1), 3600)
T0 = T.timestamp()
TRAFFIC = "panel_webspace_http_response_bytes_total"
DISK = "panel_webspace_disk_usage_bytes"


def steady(start, end, first, per_step):
    return [(at, first + i * per_step) for i, at in enumerate(range(int(start), int(end), STEP))]


def series(name, **labels):
    text = ",".join(f'{key}="{value}"' for key, value in {"job": "agent", **labels}.items())
    return f"{name}{{{text}}}"


SAMPLES = {
    # 10 bytes every 5 s, from a minute before the first period to its third's end.
    series(TRAFFIC, webspace="mtr00"): steady(T0 - 60, T0 + 181, 1000, 10),
    # The agent lost its state half way through the first period: back to 0, then 10 per step.
    series(TRAFFIC, webspace="mtr01"): steady(T0 - 60, T0 + 30, 5000, 10)
    + steady(T0 + 30, T0 + 181, 0, 10),
    # Prometheus was down from T+10 to T+130: nothing stored in between.
    series(TRAFFIC, webspace="mtr02"): steady(T0 - 60, T0 + 11, 0, 10)
    + steady(T0 + 130, T0 + 181, 5000, 10),
    # A webspace the panel does not know.
    series(TRAFFIC, webspace="zzz99"): steady(T0 - 60, T0 + 181, 0, 1),
    series(DISK, webspace="mtr00"): steady(T0 - 60, T0 + 181, 7200, 0),
    series(DISK, webspace="mtr02"): steady(T0 - 60, T0 + 11, 7200, 0)
    + steady(T0 + 130, T0 + 181, 7200, 0),
    series(
        "panel_database_size_bytes", webspace="mtr00", database="mtr00_shop", engine="mariadb"
    ): steady(T0 - 60, T0 + 181, 3600, 0),
}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prometheus")
    write_blocks(folder, SAMPLES)
    server = PrometheusServer(folder).start()
    yield server
    server.stop()


@pytest.fixture
def metering(app, monkeypatch, prometheus, make_member, make_webspace, make_database):
    for key, value in {
        "PROMETHEUS_URL": prometheus.url,
        "METERING_INTERVAL": INTERVAL,
        "METERING_GAP_SECONDS": GAP,
        "METERING_DELAY": 0,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    member = make_member("mtr")
    webspaces = {w.name: w for w in (make_webspace(member) for _ in range(3))}
    make_database(webspaces["mtr00"])
    return webspaces


def rows(metric, webspace=None):
    query = select(UsageRecord).where(UsageRecord.metric == metric)
    if webspace is not None:
        query = query.where(UsageRecord.resource_name == webspace)
    return db.session.scalars(query.order_by(UsageRecord.period_start)).all()


def collect_three():
    return ledger.collect(T, T + timedelta(seconds=3 * INTERVAL))


def test_a_steady_counter_is_its_exact_increase_per_period(metering):
    run = collect_three()
    assert run.status == "complete", run.error
    traffic = rows("traffic", "mtr00")
    assert [r.quantity for r in traffic] == [Decimal(120)] * 3
    assert [r.quality for r in traffic] == [Quality.COMPLETE] * 3
    # Each period starts where the previous one ended.
    assert traffic[0].raw_start == Decimal(1000 + 12 * 10)
    assert [r.raw_start for r in traffic[1:]] == [r.raw_end for r in traffic[:-1]]
    assert traffic[0].member_id == metering["mtr00"].member_id


def test_a_store_under_a_prefix_is_read_through_the_query_api_alone(
    metering, app, monkeypatch, prometheus
):
    """A long-term store that speaks Prometheus' query API (Thanos Query, Mimir, VictoriaMetrics)
    can stand in for the Prometheus that scrapes the hosts."""
    with store_under_prefix(prometheus.url, "/prometheus") as store:
        monkeypatch.setitem(app.config, "PROMETHEUS_URL", store.url)
        run = collect_three()
    assert run.status == "complete", run.error
    assert [r.quantity for r in rows("traffic", "mtr00")] == [Decimal(120)] * 3
    assert store.paths and set(store.paths) == {"/prometheus/api/v1/query"}


def test_a_reset_counts_what_the_counter_counted_since(metering):
    collect_three()
    first, second, third = rows("traffic", "mtr01")
    # A period holds its end: from 5120 (at T) to 5170 (T+25), then 0 (T+30) to 60 (T+60).
    assert first.quality == Quality.RESET
    assert first.quantity == Decimal(50 + 60)
    assert (second.quantity, second.quality) == (Decimal(120), Quality.COMPLETE)
    assert sum(r.quantity for r in (first, second, third)) == Decimal(50 + 300)


def test_an_outage_is_caught_up_for_counters_and_a_gap_for_gauges(metering):
    collect_three()
    traffic = rows("traffic", "mtr02")
    assert [r.quality for r in traffic] == [Quality.GAP, Quality.GAP, Quality.GAP]
    # The middle period had no sample: nothing counted there, nothing lost either.
    assert traffic[1].quantity == 0 and traffic[1].samples == 0
    assert sum(r.quantity for r in traffic) == Decimal(5000 + 10 * 10) - Decimal(120)
    disk = rows("disk", "mtr02")
    assert [r.quality for r in disk] == [Quality.GAP, Quality.GAP, Quality.GAP]
    assert disk[1].quantity == 0
    full = rows("disk", "mtr00")
    # 7200 bytes held for a minute: 120 byte-hours, and the gap periods count only covered time.
    assert [r.quantity for r in full] == [Decimal(120)] * 3
    assert [r.covered_seconds for r in full] == [60, 60, 60]
    assert disk[0].quantity < 120 and disk[0].covered_seconds < 60


def test_database_sizes_are_metered_per_database(metering):
    collect_three()
    (first, *_) = rows("database_disk")
    assert first.resource_type == "database"
    assert first.resource_name == "mtr00_shop"
    assert first.webspace_id == metering["mtr00"].id
    assert first.quantity == Decimal(60)


def test_collecting_the_same_periods_again_writes_nothing(metering):
    first = collect_three()
    count = db.session.scalar(select(func.count()).select_from(UsageRecord))
    again = collect_three()
    assert again.status == "complete"
    assert again.records == 0 and first.records == count
    assert db.session.scalar(select(func.count()).select_from(UsageRecord)) == count
    # Series of resources the panel does not know are counted, not written.
    assert first.unmatched == 3


def fleet_sums() -> dict:
    """Each period's and metric's sum and count, from the rows and from the kept totals."""
    from_rows = db.session.execute(
        select(
            UsageRecord.period_start,
            UsageRecord.metric,
            func.sum(UsageRecord.quantity),
            func.count(),
        ).group_by(UsageRecord.period_start, UsageRecord.metric)
    ).all()
    kept = db.session.execute(
        select(
            UsagePeriodTotal.period_start,
            UsagePeriodTotal.metric,
            UsagePeriodTotal.quantity,
            UsagePeriodTotal.records,
        )
    ).all()
    return {"rows": sorted(map(tuple, from_rows)), "kept": sorted(map(tuple, kept))}


def test_the_fleet_totals_of_each_period_are_the_sums_of_its_rows(metering):
    collect_three()
    sums = fleet_sums()
    assert len(sums["kept"]) == 3 * 3  # three periods of traffic, disk and database disk
    assert sums["kept"] == sums["rows"]


def test_a_collector_that_finds_some_rows_written_adds_the_rest_to_the_totals(metering):
    collect_three()
    # As if another collector had written the period without one webspace's traffic.
    second = rows("traffic", "mtr01")[1]
    db.session.delete(second)
    db.session.flush()
    ledger.sum_period(second.period_start)
    db.session.commit()
    assert fleet_sums()["kept"] == fleet_sums()["rows"]
    collect_three()
    sums = fleet_sums()
    assert sums["kept"] == sums["rows"]
    assert len(rows("traffic", "mtr01")) == 3


def test_the_ledger_refuses_a_second_row_for_a_resource_metric_and_period(metering):
    collect_three()
    row = rows("traffic", "mtr00")[0]
    copy = {c.name: getattr(row, c.name) for c in UsageRecord.__table__.columns if c.name != "id"}
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(UsageRecord(**copy))
        db.session.flush()


def test_an_unreachable_prometheus_fails_the_run_and_a_later_run_catches_up(
    metering, app, monkeypatch, prometheus
):
    monkeypatch.setitem(app.config, "PROMETHEUS_URL", f"http://127.0.0.1:{free_port()}")
    run = collect_three()
    assert run.status == "failed"
    assert "did not answer" in run.error
    assert run.period_end == run.period_start
    assert rows("traffic") == []
    monkeypatch.setitem(app.config, "PROMETHEUS_URL", prometheus.url)
    assert collect_three().records > 0
    assert len(rows("traffic", "mtr00")) == 3


def test_due_periods_start_where_the_last_collection_ended(metering, app, monkeypatch):
    monkeypatch.setitem(app.config, "METERING_CATCH_UP", 10_000)
    collect_three()
    start, end = ledger.due_periods()
    assert start == T + timedelta(seconds=3 * INTERVAL)
    assert end == ledger.align(utcnow(), INTERVAL)
    # A long outage is caught up oldest first, a batch at a time, never skipping a period.
    monkeypatch.setitem(app.config, "METERING_CATCH_UP", 5)
    start, end = ledger.due_periods()
    assert start == T + timedelta(seconds=3 * INTERVAL)
    assert (end - start).total_seconds() == 5 * INTERVAL


def test_the_periodic_collection_collects_what_is_due(metering, app, monkeypatch):
    monkeypatch.setitem(app.config, "METERING_CATCH_UP", 70)
    run = collect_due()
    assert run.status == "complete"
    assert run.period_end == ledger.align(utcnow(), INTERVAL)
    assert collect_due() is None or collect_due().records == 0


def test_without_prometheus_nothing_is_collected(metering, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROMETHEUS_URL", None)
    assert collect_due() is None
    assert db.session.scalar(select(func.count()).select_from(CollectionRun)) == 0


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (timedelta(hours=-2), timedelta(hours=1), "to"),
        (timedelta(hours=-1), timedelta(hours=-1), "from"),
        (timedelta(hours=-1), timedelta(hours=-2), "from"),
        (timedelta(days=-30), timedelta(hours=-1), "from"),
    ],
)
def test_a_backfill_range_must_hold_whole_past_periods(metering, start, end, field):
    now = utcnow()
    with pytest.raises(ValidationFailed) as caught:
        ledger.check_range(now + start, now + end)
    assert field in caught.value.fields
    assert db.session.scalar(select(func.count()).select_from(CollectionRun)) == 0
