"""Reading the ledger: rows for a caller, per-period series for charts, fleet totals, gaps."""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select

from panel.core.access import scope_to_member
from panel.core.errors import ValidationFailed
from panel.core.models import utcnow
from panel.extensions import db
from panel.metering import ledger
from panel.metering.meters import METERS
from panel.metering.models import (
    CollectionRun,
    Quality,
    RunStatus,
    UsagePeriodTotal,
    UsageRecord,
)
from panel.metering.prometheus import PrometheusUnavailable
from panel.servers.models import Server
from panel.webspaces.models import Webspace

# The page's ranges: how far back, and the width of one bar.
RANGES = {
    "24h": (timedelta(hours=24), timedelta(hours=1)),
    "7d": (timedelta(days=7), timedelta(days=1)),
    "30d": (timedelta(days=30), timedelta(days=1)),
}


@dataclass(frozen=True)
class Bucket:
    start: datetime
    quantity: Decimal
    incomplete: bool


def clean_metric(value: object, choices: dict = METERS) -> str | None:
    if value in (None, ""):
        return None
    if value not in choices:
        raise ValidationFailed.field(
            "metric", _l("One of: %(metrics)s.", metrics=", ".join(choices))
        )
    return str(value)


def clean_span(start: datetime | None, end: datetime | None) -> tuple[datetime | None, ...]:
    if start is not None and end is not None and start >= end:
        raise ValidationFailed.field("from", _l("Must lie before the end."))
    return start, end


def served_to(user_id: int):
    """The ledger rows a customer reads: those of the webspaces serving it and of its servers."""
    return or_(
        UsageRecord.webspace_id.in_(select(Webspace.id).where(Webspace.served_to(user_id))),
        UsageRecord.server_id.in_(select(Server.id).where(Server.served_to(user_id))),
    )


def records(
    *,
    webspace_id: int | None = None,
    server_id: int | None = None,
    video_tenant_id: int | None = None,
    customer_id: int | None = None,
    metric: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Select:
    """Ledger rows the current user may see, newest period first; the span selects periods
    that start in it."""
    query = scope_to_member(select(UsageRecord), UsageRecord.member_id, viewed_by=served_to)
    if webspace_id is not None:
        query = query.where(UsageRecord.webspace_id == webspace_id)
    if server_id is not None:
        query = query.where(UsageRecord.server_id == server_id)
    if video_tenant_id is not None:
        query = query.where(UsageRecord.video_tenant_id == video_tenant_id)
    if customer_id is not None:
        serving = select(Webspace.id).where(Webspace.customer_user_id == customer_id)
        servers = select(Server.id).where(Server.customer_id == customer_id)
        query = query.where(
            or_(UsageRecord.webspace_id.in_(serving), UsageRecord.server_id.in_(servers))
        )
    if metric is not None:
        query = query.where(UsageRecord.metric == metric)
    if start is not None:
        query = query.where(UsageRecord.period_start >= start)
    if end is not None:
        query = query.where(UsageRecord.period_start < end)
    return query.order_by(
        UsageRecord.period_start.desc(), UsageRecord.metric, UsageRecord.resource_name
    )


def chart(webspace_id: int, metric: str, span: str) -> list[Bucket]:
    """The webspace's usage of one metric over the span, one bucket per bar, oldest first."""
    length, width = RANGES[span]
    end = _floor(utcnow(), width) + width
    start = end - length
    buckets: OrderedDict[datetime, list] = OrderedDict(
        (start + width * i, [Decimal(0), False]) for i in range(int(length / width))
    )
    rows = db.session.execute(
        select(UsageRecord.period_start, UsageRecord.quantity, UsageRecord.quality).where(
            UsageRecord.webspace_id == webspace_id,
            UsageRecord.metric == metric,
            UsageRecord.period_start >= start,
            UsageRecord.period_start < end,
        )
    )
    for period_start, quantity, quality in rows:
        bucket = buckets[_floor(period_start, width, since=start)]
        bucket[0] += quantity
        bucket[1] = bucket[1] or quality != Quality.COMPLETE
    return [Bucket(moment, *values) for moment, values in buckets.items()]


def fleet_totals(start: datetime, end: datetime) -> dict[str, Decimal]:
    """The whole fleet's usage per metric in the periods that start in the span."""
    found = dict(
        db.session.execute(
            select(UsagePeriodTotal.metric, func.sum(UsagePeriodTotal.quantity))
            .where(UsagePeriodTotal.period_start >= start, UsagePeriodTotal.period_start < end)
            .group_by(UsagePeriodTotal.metric)
        ).all()
    )
    return {name: Decimal(found.get(name) or 0) for name in METERS}


def resource_totals(column, ids: list[int], start: datetime) -> dict[int, dict[str, Decimal]]:
    """Usage per metric since then of each webspace or server (COLUMN: the ledger's id column
    of the kind)."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(column, UsageRecord.metric, func.sum(UsageRecord.quantity))
        .where(column.in_(ids), UsageRecord.period_start >= start)
        .group_by(column, UsageRecord.metric)
    )
    result: dict[int, dict[str, Decimal]] = {ident: {} for ident in ids}
    for ident, metric, quantity in rows:
        result[ident][metric] = Decimal(quantity)
    return result


def customer_totals(member_id: int, start: datetime) -> dict[int, dict[str, Decimal]]:
    """Usage per metric since then of the member's webspaces, per customer they serve, and of
    its servers, per customer they run for."""
    result: dict[int, dict[str, Decimal]] = {}
    for model, customer, column in (
        (Webspace, Webspace.customer_user_id, UsageRecord.webspace_id),
        (Server, Server.customer_id, UsageRecord.server_id),
    ):
        rows = db.session.execute(
            select(customer, UsageRecord.metric, func.sum(UsageRecord.quantity))
            .join(model, column == model.id)
            .where(
                UsageRecord.member_id == member_id,
                customer.is_not(None),
                UsageRecord.period_start >= start,
            )
            .group_by(customer, UsageRecord.metric)
        )
        for customer_id, metric, quantity in rows:
            result.setdefault(customer_id, {})[metric] = Decimal(quantity)
    return result


def incomplete_series(since: datetime) -> list:
    """Resource and metric pairs with gap or reset rows since then, most affected first."""
    return db.session.execute(
        select(
            UsageRecord.resource_type,
            UsageRecord.resource_name,
            UsageRecord.metric,
            UsageRecord.quality,
            func.count().label("periods"),
            func.max(UsageRecord.period_start).label("latest"),
        )
        .where(UsageRecord.period_start >= since, UsageRecord.quality != Quality.COMPLETE)
        .group_by(
            UsageRecord.resource_type,
            UsageRecord.resource_name,
            UsageRecord.metric,
            UsageRecord.quality,
        )
        .order_by(func.count().desc(), UsageRecord.resource_name)
        .limit(100)
    ).all()


@dataclass(frozen=True)
class CollectionHealth:
    """What the collections since a moment say about the ledger's completeness."""

    runs: int
    failed: int
    latest: CollectionRun | None
    latest_failure: CollectionRun | None


def collection_health(since: datetime) -> CollectionHealth:
    window = select(CollectionRun).where(CollectionRun.started_at >= since)
    count = select(func.count()).select_from(window.subquery())
    failures = window.where(CollectionRun.status == RunStatus.FAILED)
    newest = (CollectionRun.started_at.desc(), CollectionRun.id.desc())
    return CollectionHealth(
        runs=db.session.scalar(count),
        failed=db.session.scalar(select(func.count()).select_from(failures.subquery())),
        latest=db.session.scalars(window.order_by(*newest).limit(1)).first(),
        latest_failure=db.session.scalars(failures.order_by(*newest).limit(1)).first(),
    )


def recent_runs(limit: int = 10) -> list[CollectionRun]:
    return db.session.scalars(
        select(CollectionRun).order_by(CollectionRun.started_at.desc()).limit(limit)
    ).all()


def _floor(moment: datetime, width: timedelta, since: datetime | None = None) -> datetime:
    origin = since or datetime(1970, 1, 1, tzinfo=moment.tzinfo)
    return origin + width * ((moment - origin) // width)


# Pages wait this long for Prometheus at most.
PAGE_TIMEOUT = 5
HOST_LOAD = {
    "cpu": "host:node_cpu_utilisation:ratio",
    "load": "host:node_load1_per_cpu:ratio",
    "memory": "host:node_memory_utilisation:ratio",
    "disk": "host:node_filesystem_usage:ratio",
}


def host_load() -> tuple[dict[str, dict[str, float]], str]:
    """Each host's current load from node_exporter (Prometheus' recording rules), and why it
    is missing when Prometheus cannot tell."""
    client = ledger.prometheus(PAGE_TIMEOUT)
    if client is None:
        return {}, str(_l("No Prometheus is configured (PANEL_PROMETHEUS_URL)."))
    load: dict[str, dict[str, float]] = {}
    try:
        for key, query in HOST_LOAD.items():
            for labels, value in client.instant(query):
                load.setdefault(labels.get("host", "?"), {})[key] = value
    except PrometheusUnavailable as exc:
        return {}, str(exc)
    return dict(sorted(load.items())), ""


# The webspace's rates over the last five minutes (recording rules in monitoring/rules).
LIVE_RATES = {
    "traffic": "webspace:panel_webspace_http_response_bytes:rate5m",
    "requests": "webspace:panel_webspace_http_requests:rate5m",
    "cpu": "webspace:panel_webspace_cpu_seconds:rate5m",
}


def live_rates(webspace_name: str) -> dict[str, float]:
    """What the webspace uses right now, per second; empty when Prometheus cannot tell."""
    client = ledger.prometheus(PAGE_TIMEOUT)
    if client is None:
        return {}
    rates = {}
    try:
        for key, series in LIVE_RATES.items():
            found = client.instant(f'{series}{{webspace="{webspace_name}"}}')
            if found:
                rates[key] = found[0][1]
    except PrometheusUnavailable:
        return {}
    return rates


def latest_disk_bytes():
    """A column: the bytes the webspace of the row held at its latest measurement (NULL before
    any)."""
    # Its newest disk row, found backwards along the (webspace, period) index: grouping all of
    # a webspace's rows first read a month of them per webspace.
    return (
        select(UsageRecord.raw_end)
        .where(UsageRecord.webspace_id == Webspace.id, UsageRecord.metric == "disk")
        .order_by(UsageRecord.period_start.desc())
        .limit(1)
        .correlate(Webspace)
        .scalar_subquery()
    )
