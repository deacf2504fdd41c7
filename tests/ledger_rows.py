"""Usage ledger rows written directly, as the collector would write them, for tests that need
usage without Prometheus; and managed servers holding a host over a given time."""

from datetime import datetime, timedelta
from decimal import Decimal

from panel.extensions import db
from panel.metering.ledger import sum_period
from panel.metering.models import UsageRecord
from panel.servers.models import Server, ServerState

UNITS = {
    "traffic": "B",
    "requests": "requests",
    "cpu": "s",
    "disk": "B·h",
    "database_disk": "B·h",
    "server_hours": "s",
    "server_cpu": "s",
    "server_memory": "B·h",
    "server_disk": "B·h",
    "video_participants": "s",
}


def ledger_row(
    webspace, metric: str, quantity, start: datetime, quality: str = "complete"
) -> UsageRecord:
    """One hour of the webspace's usage of the meter, from START (committed)."""
    return _hour_row(
        webspace.member_id, "webspace", webspace, webspace.name, metric, quantity, start, quality
    )


def _hour_row(
    member_id: int, kind: str, resource, name: str, metric: str, quantity, start, quality: str
) -> UsageRecord:
    row = UsageRecord(
        member_id=member_id,
        webspace_id=resource.id if kind == "webspace" else None,
        server_id=resource.id if kind == "server" else None,
        video_tenant_id=resource.id if kind == "video_tenant" else None,
        resource_type=kind,
        resource_id=resource.id,
        resource_name=name,
        metric=metric,
        unit=UNITS[metric],
        period_start=start,
        period_end=start + timedelta(hours=1),
        raw_start=Decimal(0),
        raw_end=Decimal(quantity),
        quantity=Decimal(quantity),
        quality=quality,
        samples=240,
        covered_seconds=3600 if quality == "complete" else 1800,
    )
    db.session.add(row)
    db.session.flush()
    sum_period(start)
    db.session.commit()
    return row


def held_server(host, customer, allocated: datetime, released: datetime | None = None) -> Server:
    """A server of the customer's reseller that held HOST from ALLOCATED (until RELEASED)."""
    reseller = customer.reseller
    server = Server(
        member_id=reseller.member_id,
        reseller_id=reseller.id,
        customer_id=customer.id,
        size="medium",
        host_id=host.id,
        state=ServerState.RELEASED if released else ServerState.ACTIVE,
        allocated_at=allocated,
        released_at=released,
    )
    db.session.add(server)
    db.session.commit()
    return server


def server_row(server, metric: str, quantity, start: datetime) -> UsageRecord:
    """One hour of the server's usage of the meter, from START (committed)."""
    return _hour_row(
        server.member_id, "server", server, server.hostname, metric, quantity, start, "complete"
    )


def tenant_row(tenant, quantity, start: datetime) -> UsageRecord:
    """One hour of a video tenant's participant seconds, from START (committed)."""
    return _hour_row(
        tenant.member_id,
        "video_tenant",
        tenant,
        tenant.name,
        "video_participants",
        quantity,
        start,
        "complete",
    )
