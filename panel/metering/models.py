"""The usage ledger: one row per resource, metric and period, and a record of each collection."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.models import Base, one_of, utcnow

# Readings and quantities: bytes up to exabytes, byte-hours, CPU seconds with microseconds.
Quantity = Numeric(30, 6, asdecimal=True)


class Quality(StrEnum):
    COMPLETE = "complete"
    # Prometheus had no samples for part of the period: a gauge's usage there is unknown; a
    # counter's usage is caught up in the next period that has samples.
    GAP = "gap"
    # The counter went back (its agent lost its state): what it counted since is added whole.
    RESET = "reset"


class ResourceType(StrEnum):
    WEBSPACE = "webspace"
    DATABASE = "database"
    SERVER = "server"
    VIDEO_TENANT = "video_tenant"


class RunStatus(StrEnum):
    COMPLETE = "complete"
    FAILED = "failed"


ONE_RESOURCE = (
    "(webspace_id IS NOT NULL AND server_id IS NULL AND video_tenant_id IS NULL)"
    " OR (webspace_id IS NULL AND server_id IS NOT NULL AND video_tenant_id IS NULL)"
    " OR (webspace_id IS NULL AND server_id IS NULL AND video_tenant_id IS NOT NULL)"
)


INCOMPLETE = "quality != 'complete'"


class UsageRecord(Base):
    """A resource's measured usage in one period; rows are written once and never changed."""

    __tablename__ = "usage_records"
    __table_args__ = (
        UniqueConstraint("resource_type", "resource_id", "metric", "period_start"),
        one_of("quality", Quality),
        one_of("resource_type", ResourceType),
        Index("ix_usage_records_member_id", "member_id", "period_start"),
        Index("ix_usage_records_webspace_id", "webspace_id", "period_start"),
        Index("ix_usage_records_server_id", "server_id", "period_start"),
        Index("ix_usage_records_video_tenant_id", "video_tenant_id", "period_start"),
        # The fleet page's gaps and resets of the last week, among millions of complete rows.
        Index(
            "ix_usage_records_quality",
            "quality",
            "period_start",
            sqlite_where=text(INCOMPLETE),
            postgresql_where=text(INCOMPLETE),
        ),
        # A row measures a webspace (or one of its databases), a managed server or a member's
        # video tenant.
        CheckConstraint(ONE_RESOURCE, name="one_resource"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    webspace_id: Mapped[int | None] = mapped_column(ForeignKey("webspaces.id"))
    server_id: Mapped[int | None] = mapped_column(ForeignKey("servers.id"))
    video_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("video_tenants.id"))
    resource_type: Mapped[str] = mapped_column(String(16))
    resource_id: Mapped[int]
    # The name when it was measured, so a row reads the same after its resource is gone.
    resource_name: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    raw_start: Mapped[Decimal] = mapped_column(Quantity)
    raw_end: Mapped[Decimal] = mapped_column(Quantity)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    quality: Mapped[str] = mapped_column(String(12))
    samples: Mapped[int]
    covered_seconds: Mapped[int]
    collected_at: Mapped[datetime] = mapped_column(default=utcnow)

    member = relationship("Member")
    webspace = relationship("Webspace")
    server = relationship("Server")
    video_tenant = relationship("VideoTenant")


# The ledger's own order, newest period first: a page of the whole fleet's rows reads its rows
# here instead of sorting each of the newest period's rows (one per resource and meter). It
# serves the lookups by period too.
Index(
    "ix_usage_records_period_start",
    UsageRecord.period_start.desc(),
    UsageRecord.metric,
    UsageRecord.resource_name,
    UsageRecord.id,
)


class UsagePeriodTotal(Base):
    """The whole fleet's usage of a meter in a period: the sum of its ledger rows, written with
    them, so that fleet-wide sums read a row per period instead of one per resource."""

    __tablename__ = "usage_period_totals"

    period_start: Mapped[datetime] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    records: Mapped[int]


class CollectionRun(Base):
    """One pass of the collector over a range of periods, kept for the fleet page."""

    __tablename__ = "collection_runs"
    __table_args__ = (one_of("status", RunStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12))
    records: Mapped[int] = mapped_column(default=0)
    gaps: Mapped[int] = mapped_column(default=0)
    # Series Prometheus had that belong to no resource the panel knows.
    unmatched: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
