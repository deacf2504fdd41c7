"""Declarative base with a constraint naming convention, and column helpers."""

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, DateTime, Index, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC that always comes back timezone-aware, on SQLite too.

    A TypeDecorator, not a DateTime subclass: dialects swap a plain subclass for their own
    DATETIME type, which would drop our result processing."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        # SQLite keeps only the wall time, so every value is stored as UTC; naive means UTC.
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


def one_of(column: str, values) -> CheckConstraint:
    """A check that the column holds one of the values (an enum's members or plain strings)."""
    listed = ", ".join(f"'{getattr(value, 'value', value)}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


def trigram_index(table: str, *columns: str) -> Index:
    """PostgreSQL's trigram index (pg_trgm) over the columns, which the searches' `ILIKE
    '%text%'` use instead of reading every row; SQLite gets none (it reads every row)."""
    return Index(
        f"ix_{table}_{columns[0]}_trgm",
        *columns,
        postgresql_using="gin",
        postgresql_ops=dict.fromkeys(columns, "gin_trgm_ops"),
    ).ddl_if(dialect="postgresql")


class Base(DeclarativeBase):
    """Every model says who owns its rows, for panel.core.access: by default the member and the
    user its member_id and user_id (or customer_id) columns name. A model owned otherwise, or
    guarded more closely, overrides what differs."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )
    # Credentials: only their owner sees them, admins included.
    private_to_owner: ClassVar[bool] = False
    # Records the office keeps: their owner sees them, only admins change them.
    office_only: ClassVar[bool] = False

    @property
    def owner_member_id(self) -> int | None:
        return getattr(self, "member_id", None)

    @property
    def owner_user_id(self) -> int | None:
        return getattr(self, "user_id", None) or getattr(self, "customer_id", None)

    @property
    def owner_reseller_id(self) -> int | None:
        """The reseller that manages the row (a customer's account), which may see it."""
        return None

    @property
    def viewer_user_id(self) -> int | None:
        """A user who may see the row but not change it: the reseller's customer it serves."""
        return None


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
