"""Usage ledger rows written directly, as the collector would write them, for tests that need
usage without Prometheus."""

from datetime import datetime, timedelta
from decimal import Decimal

from panel.extensions import db
from panel.metering.models import UsageRecord

UNITS = {"traffic": "B", "requests": "requests", "cpu": "s", "disk": "B·h", "database_disk": "B·h"}


def ledger_row(
    webspace, metric: str, quantity, start: datetime, quality: str = "complete"
) -> UsageRecord:
    """One hour of the webspace's usage of the meter, from START (committed)."""
    row = UsageRecord(
        member_id=webspace.member_id,
        webspace_id=webspace.id,
        resource_type="webspace",
        resource_id=webspace.id,
        resource_name=webspace.name,
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
    db.session.commit()
    return row
