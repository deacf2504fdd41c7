"""Collection: reads each meter's raw samples from Prometheus per aligned period and writes
ledger rows. A row is written once: a period already in the ledger is skipped, so running the
collector again (or two at once) adds nothing twice."""

import gc
import logging
from bisect import bisect_right
from collections import defaultdict, deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import chain
from operator import itemgetter

from flask import current_app
from sqlalchemy import Insert, and_, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from panel.core.audit import record
from panel.core.errors import ValidationFailed
from panel.core.models import utcnow
from panel.extensions import db
from panel.hosts.models import Host
from panel.metering import local_prometheus
from panel.metering.meters import METERS, Kind, Meter
from panel.metering.models import (
    CollectionRun,
    Quality,
    ResourceType,
    RunStatus,
    UsagePeriodTotal,
    UsageRecord,
)
from panel.metering.prometheus import (
    TIMEOUT,
    Matrix,
    Prometheus,
    PrometheusUnavailable,
    Series,
)
from panel.metering.readings import ZERO, Readings, Usage, counter_usage, gauge_usage
from panel.notifications import events
from panel.servers.models import Server
from panel.video.models import SyncState, VideoTenant
from panel.webspaces.models import Database, State, Webspace

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Resources in these states are expected to report; a missing series of theirs is a gap.
REPORTING = (State.ACTIVE, State.SUSPENDED)


@dataclass(frozen=True)
class Resource:
    id: int
    name: str
    member_id: int
    created_at: datetime
    reporting: bool
    webspace_id: int | None = None
    server_id: int | None = None
    video_tenant_id: int | None = None
    # A server's usage is its host's while it held the host: the part of the period it did.
    held: tuple[datetime, datetime] | None = None


@dataclass
class PeriodResult:
    records: int = 0
    gaps: int = 0
    unmatched: int = 0
    skipped: set = field(default_factory=set)


def align(moment: datetime, interval: int) -> datetime:
    """The start of the period the moment falls in: periods are multiples of the interval."""
    seconds = int((moment - EPOCH).total_seconds())
    return EPOCH + timedelta(seconds=seconds - seconds % interval)


def settings() -> tuple[int, int, int]:
    config = current_app.config
    return config["METERING_INTERVAL"], config["METERING_DELAY"], config["METERING_GAP_SECONDS"]


def prometheus(timeout: float = TIMEOUT) -> Prometheus | None:
    """The configured Prometheus, else the one a `panel run` of this instance runs."""
    url = current_app.config.get("PROMETHEUS_URL") or local_prometheus.running_url()
    return Prometheus(url, timeout) if url else None


def collected_until() -> datetime | None:
    """The end of the last period the ledger holds (every earlier one collected too)."""
    return db.session.scalar(
        select(func.max(CollectionRun.period_end)).where(
            CollectionRun.period_end > CollectionRun.period_start
        )
    )


def due_periods() -> tuple[datetime, datetime] | None:
    """The oldest periods not yet collected that Prometheus has all samples of (at most
    CATCH_UP of them)."""
    interval, delay, _ = settings()
    latest_end = align(utcnow() - timedelta(seconds=delay), interval)
    start = collected_until() or latest_end - timedelta(seconds=interval)
    # A long outage is caught up in batches, oldest first: a skipped period would put its usage
    # into the next row, and filling it in later would count it twice.
    end = min(latest_end, start + timedelta(seconds=interval * _catch_up()))
    return (start, end) if start < end else None


def _catch_up() -> int:
    return current_app.config["METERING_CATCH_UP"]


def check_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """A backfill range: aligned to whole periods, in the past, at most CATCH_UP×10 periods."""
    interval, delay, _ = settings()
    start, end = align(start, interval), align(end, interval)
    latest_end = align(utcnow() - timedelta(seconds=delay), interval)
    if end > latest_end:
        raise ValidationFailed.field(
            "to", f"Periods up to {latest_end.isoformat()} are complete; {end.isoformat()} is not."
        )
    if start >= end:
        raise ValidationFailed.field("from", "The range holds no whole period.")
    if (end - start).total_seconds() / interval > _catch_up() * 10:
        raise ValidationFailed.field("from", f"At most {_catch_up() * 10} periods at once.")
    return start, end


def collect(start: datetime, end: datetime) -> CollectionRun:
    """Collect every period in [start, end); stops at the first period Prometheus cannot give."""
    interval, _, _ = settings()
    previous = db.session.scalar(
        select(CollectionRun.status).order_by(CollectionRun.id.desc()).limit(1)
    )
    run = CollectionRun(period_start=start, period_end=start, status=RunStatus.COMPLETE)
    db.session.add(run)
    db.session.commit()
    client = prometheus()
    try:
        if client is None:
            raise PrometheusUnavailable("PANEL_PROMETHEUS_URL is not set")
        period = start
        while period < end:
            result = collect_period(client, period, period + timedelta(seconds=interval))
            period += timedelta(seconds=interval)
            run.records += result.records
            run.gaps += result.gaps
            run.unmatched += result.unmatched
            run.period_end = period
            db.session.commit()
    except PrometheusUnavailable as exc:
        db.session.rollback()
        run.status, run.error = RunStatus.FAILED, str(exc)[:2000]
        log.warning("metering: collection from %s stopped: %s", run.period_end, exc)
        # The collection is tried every minute: only the first failure of a run of them tells.
        if previous != RunStatus.FAILED:
            events.metering_failed(run.error)
    run.finished_at = utcnow()
    record(
        "metering.collect",
        run,
        after={
            "from": start.isoformat(),
            "to": run.period_end.isoformat(),
            "status": run.status,
            "records": run.records,
            "gaps": run.gaps,
        },
    )
    db.session.commit()
    return run


def collect_period(client: Prometheus, start: datetime, end: datetime) -> PeriodResult:
    """Write the period's rows (the caller commits). A concurrent collector that wrote some of
    them first makes this one try again, skipping what is there."""
    with _cycle_collection_paused():
        try:
            with db.session.begin_nested():
                return _write_period(client, start, end)
        except IntegrityError:
            with db.session.begin_nested():
                return _write_period(client, start, end)


@contextmanager
def _cycle_collection_paused():
    """A period's millions of parsed samples hold no reference cycles, but Python's cycle
    collector would walk them again and again while they are made: it waits (some seconds,
    in this process) until the period is written."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write_period(client: Prometheus, start: datetime, end: datetime) -> PeriodResult:
    result = PeriodResult()
    rows: list[dict] = []
    resources = _PeriodResources(start, end)
    answers = _answers(client, [m for m in METERS.values() if m.kind != Kind.ALLOCATION], end)
    for meter in METERS.values():
        if meter.kind == Kind.ALLOCATION:
            rows.extend(_allocation_rows(meter, start, end, resources))
        else:
            rows.extend(_meter_rows(meter, next(answers), start, end, result, resources))
    if rows:
        db.session.execute(insert(UsageRecord), rows)
        sum_period(start)
    result.records = len(rows)
    result.gaps = sum(1 for row in rows if row["quality"] == Quality.GAP)
    return result


def sum_period(start: datetime) -> None:
    """The fleet's totals of the period, summed again from its rows as stored (a collector
    that skipped rows another had written adds to them)."""
    db.session.execute(delete(UsagePeriodTotal).where(UsagePeriodTotal.period_start == start))
    db.session.execute(totals_of_rows(UsageRecord.period_start == start))


def totals_of_rows(*conditions) -> Insert:
    """The insert of the fleet's totals per period and meter of the rows that meet CONDITIONS."""
    return insert(UsagePeriodTotal).from_select(
        ["period_start", "metric", "quantity", "records"],
        select(
            UsageRecord.period_start,
            UsageRecord.metric,
            func.sum(UsageRecord.quantity),
            func.count(),
        )
        .where(*conditions)
        .group_by(UsageRecord.period_start, UsageRecord.metric),
    )


def _answers(client: Prometheus, meters: list[Meter], end: datetime) -> Iterator[Matrix]:
    """Prometheus' answer for each meter, in order: the next one downloads while the caller
    reads this one, so that Prometheus works while the panel does."""
    interval, _, gap_seconds = settings()
    window, at = interval + gap_seconds, end.timestamp()
    waiting = iter(meters)
    with ThreadPoolExecutor(1, thread_name_prefix="prometheus") as downloads:
        pending = deque()

        def ask_next() -> None:
            meter = next(waiting, None)
            if meter is not None:
                pending.append(downloads.submit(_ask, client, meter, at, window))

        ask_next()
        while pending:
            answer = pending.popleft()
            ask_next()
            yield answer.result()


def _ask(client: Prometheus, meter: Meter, at: float, window: int) -> Matrix:
    if meter.step is None:
        return client.raw_samples(meter.series, at, window)
    return client.evaluated(meter.series, at, window, meter.step)


class _PeriodResources:
    """Each resource type's resources in the period, looked up once for all its meters."""

    def __init__(self, start: datetime, end: datetime):
        self.start, self.end = start, end
        self.found: dict[ResourceType, dict] = {}

    def of(self, meter: Meter) -> dict[tuple[str, ...], list]:
        if meter.resource_type not in self.found:
            self.found[meter.resource_type] = _resources(meter, self.start, self.end)
        return self.found[meter.resource_type]


def _meter_rows(
    meter: Meter,
    answer: Matrix,
    start: datetime,
    end: datetime,
    result: PeriodResult,
    period_resources: _PeriodResources,
) -> list[dict]:
    interval, _, gap_seconds = settings()
    t0, t1 = start.timestamp(), end.timestamp()
    resources = period_resources.of(meter)
    done = _existing(meter, start)
    grouped: dict[int, list[Series]] = defaultdict(list)
    for series in answer:
        holders = resources.get(_key(meter, series))
        if not holders:
            result.unmatched += 1
            continue
        for resource in holders:
            grouped[resource.id].append(series)
    every = [resource for holders in resources.values() for resource in holders]
    baselines = (
        _baselines(meter, start, interval, [r.id for r in every])
        if meter.kind == Kind.COUNTER
        else {}
    )
    rows = []
    for resource in every:
        if resource.id in done:
            continue
        readings = _merged(grouped.get(resource.id, []))
        if not readings and not (resource.reporting and resource.created_at <= start):
            continue
        first, last = (t0, t1) if resource.held is None else _seconds(resource.held)
        times, values = readings.times, readings.values
        after_first, after_last = bisect_right(times, first), bisect_right(times, last)
        before = (times[after_first - 1], values[after_first - 1]) if after_first else None
        inside = Readings(times[after_first:after_last], values[after_first:after_last])
        if meter.kind == Kind.COUNTER:
            baseline = baselines.get(resource.id)
            if not inside and before is None and baseline is None:
                # Never measured: a row would start its chain at 0.
                continue
            usage = counter_usage(baseline, before, inside, first, last, gap_seconds)
        else:
            usage = gauge_usage(before, inside, first, last, gap_seconds)
        rows.append(_row(meter, resource, start, end, usage))
    return rows


def _merged(found: list[Series]) -> Readings:
    """The readings of a resource's series in time order (Prometheus gives each series' in
    order; a resource has two series when, say, its webspace moved host in the period)."""
    if len(found) == 1:
        return Readings(found[0].times, found[0].values)
    merged = sorted(chain.from_iterable(series.samples for series in found), key=itemgetter(0))
    return Readings.of(merged)


def _seconds(span: tuple[datetime, datetime]) -> tuple[float, float]:
    return span[0].timestamp(), span[1].timestamp()


def _allocation_rows(
    meter: Meter, start: datetime, end: datetime, resources: _PeriodResources
) -> list[dict]:
    """Each server's allocated time in the period: the seconds it held its host."""
    done = _existing(meter, start)
    rows = []
    for holders in resources.of(meter).values():
        for resource in holders:
            if resource.id in done:
                continue
            began, ended = resource.held
            seconds = int((ended - began).total_seconds())
            usage = Usage(ZERO, Decimal(seconds), Decimal(seconds), Quality.COMPLETE, 0, seconds)
            rows.append(_row(meter, resource, start, end, usage))
    return rows


def _row(meter: Meter, resource: Resource, start: datetime, end: datetime, usage: Usage) -> dict:
    return {
        "member_id": resource.member_id,
        "webspace_id": resource.webspace_id,
        "server_id": resource.server_id,
        "video_tenant_id": resource.video_tenant_id,
        "resource_type": meter.resource_type.value,
        "resource_id": resource.id,
        "resource_name": resource.name,
        "metric": meter.name,
        "unit": meter.unit,
        "period_start": start,
        "period_end": end,
        "raw_start": usage.raw_start,
        "raw_end": usage.raw_end,
        "quantity": usage.quantity,
        "quality": usage.quality.value,
        "samples": usage.samples,
        "covered_seconds": usage.covered_seconds,
        "collected_at": utcnow(),
    }


def _key(meter: Meter, series: Series) -> tuple[str, ...]:
    return tuple(series.labels.get(label, "") for label in meter.resource_labels)


def _resources(meter: Meter, start: datetime, end: datetime) -> dict[tuple[str, ...], list]:
    """The meter's resources in the period by the labels that name them in Prometheus: one
    each, but a host released and allocated again within the period was held by two servers."""
    if meter.resource_type == ResourceType.SERVER:
        return _servers(start, end)
    if meter.resource_type == ResourceType.VIDEO_TENANT:
        return _video_tenants()
    if meter.resource_type == ResourceType.DATABASE:
        query = select(
            Database.id,
            Database.name,
            Database.webspace_id,
            Database.member_id,
            Database.created_at,
            Database.state,
            Database.engine,
        ).where(Database.state != State.PENDING)
        resources = {
            (engine, name): [
                Resource(ident, name, member, created, state in REPORTING, webspace_id=webspace)
            ]
            for ident, name, webspace, member, created, state, engine in db.session.execute(query)
        }
    else:
        query = select(
            Webspace.id, Webspace.name, Webspace.member_id, Webspace.created_at, Webspace.state
        ).where(Webspace.purged_at.is_(None))
        resources = {
            (name,): [Resource(ident, name, member, created, state in REPORTING, webspace_id=ident)]
            for ident, name, member, created, state in db.session.execute(query)
        }
    return resources


def _servers(start: datetime, end: datetime) -> dict[tuple[str, ...], list]:
    """The servers that held a host in the period, by the host's name, with the part they did."""
    query = (
        select(Server, Host.name)
        .join(Host, Server.host_id == Host.id)
        .where(Server.allocated_at < end)
        .where(or_(Server.released_at.is_(None), Server.released_at > start))
        .order_by(Server.allocated_at)
    )
    servers: dict[tuple[str, ...], list] = defaultdict(list)
    for server, host in db.session.execute(query):
        allocated, released = server.allocated_at, server.released_at
        held = (max(allocated, start), min(released or end, end))
        servers[(host,)].append(
            Resource(
                server.id,
                server.hostname,
                server.member_id,
                allocated,
                True,
                server_id=server.id,
                held=held,
            )
        )
    return servers


def _video_tenants() -> dict[tuple[str, ...], list]:
    """Members' video tenants by their BBBLB name; those BBBLB has been told of report."""
    query = select(
        VideoTenant.id,
        VideoTenant.name,
        VideoTenant.member_id,
        VideoTenant.created_at,
        VideoTenant.state,
    )
    told = SyncState.ACTIVE, SyncState.FAILED
    return {
        (name,): [Resource(ident, name, member, created, state in told, video_tenant_id=ident)]
        for ident, name, member, created, state in db.session.execute(query)
    }


def _existing(meter: Meter, start: datetime) -> set[int]:
    return set(
        db.session.scalars(
            select(UsageRecord.resource_id).where(
                UsageRecord.resource_type == meter.resource_type,
                UsageRecord.metric == meter.name,
                UsageRecord.period_start == start,
            )
        )
    )


def _baselines(
    meter: Meter, start: datetime, interval: int, resource_ids: list[int]
) -> dict[int, Decimal]:
    """Each resource's last reading before the period: where its latest earlier row ended.
    Almost always that row is the previous period's; older rows are looked up only for the
    resources without one."""
    same_meter = (
        UsageRecord.resource_type == meter.resource_type,
        UsageRecord.metric == meter.name,
    )
    previous = start - timedelta(seconds=interval)
    baselines = dict(
        db.session.execute(
            select(UsageRecord.resource_id, UsageRecord.raw_end).where(
                *same_meter, UsageRecord.period_start == previous
            )
        ).all()
    )
    missing = [ident for ident in resource_ids if ident not in baselines]
    for chunk in (missing[i : i + 500] for i in range(0, len(missing), 500)):
        latest = (
            select(UsageRecord.resource_id, func.max(UsageRecord.period_start).label("at"))
            .where(*same_meter, UsageRecord.period_start < previous)
            .where(UsageRecord.resource_id.in_(chunk))
            .group_by(UsageRecord.resource_id)
            .subquery()
        )
        query = (
            select(UsageRecord.resource_id, UsageRecord.raw_end)
            .join(
                latest,
                and_(
                    UsageRecord.resource_id == latest.c.resource_id,
                    UsageRecord.period_start == latest.c.at,
                ),
            )
            .where(*same_meter)
        )
        baselines.update(db.session.execute(query).all())
    return baselines
