"""Every row of the member's usage ledger in its data export, streamed: a ledger of years of
hourly rows never sits in memory at once."""

from collections.abc import Iterator

from sqlalchemy import select

from panel.core.export import CHUNK_ROWS, json_array
from panel.extensions import db
from panel.metering.models import UsageRecord

LEDGER_COLUMNS = (
    "id",
    "resource_type",
    "resource_id",
    "resource_name",
    "webspace_id",
    "server_id",
    "video_tenant_id",
    "metric",
    "unit",
    "period_start",
    "period_end",
    "raw_start",
    "raw_end",
    "quantity",
    "quality",
    "samples",
    "covered_seconds",
    "collected_at",
)


def _ledger_rows(member_id: int) -> Iterator[dict]:
    query = (
        select(*(getattr(UsageRecord, name) for name in LEDGER_COLUMNS))
        .where(UsageRecord.member_id == member_id)
        .order_by(UsageRecord.id)
        .execution_options(yield_per=CHUNK_ROWS)
    )
    for row in db.session.execute(query):
        yield dict(row._mapping)


def usage_part(member) -> dict:
    return {"ledger.json": json_array(_ledger_rows(member.id))}
