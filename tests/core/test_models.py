"""The base model and column types: timestamps in UTC, aware on both databases; foreign
keys and savepoints on SQLite as on PostgreSQL; money formatting."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select

from panel.core.audit import AuditEntry
from panel.core.migrate import render_item
from panel.core.models import Base
from panel.core.money import format_money
from panel.extensions import db

NOON_BERLIN_SUMMER = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))


def _stored_at(value: datetime) -> AuditEntry:
    entry = AuditEntry(
        at=value, source="cli", action="test.time", object_type="Test", object_id="1"
    )
    db.session.add(entry)
    db.session.commit()
    entry_id = entry.id
    db.session.expire_all()
    return db.session.get(AuditEntry, entry_id)


def test_timestamps_come_back_aware_in_utc():
    stored = _stored_at(NOON_BERLIN_SUMMER)
    assert stored.at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert stored.at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_taken_as_utc():
    stored = _stored_at(datetime(2026, 7, 1, 10, 0))
    assert stored.at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def test_timestamps_compare_in_sql_across_offsets():
    entry_id = _stored_at(NOON_BERLIN_SUMMER).id
    # 10:30 UTC is later than 12:00+02:00 although its wall time is earlier.
    found = db.session.scalars(
        select(AuditEntry.id).where(
            AuditEntry.action == "test.time",
            AuditEntry.at < datetime(2026, 7, 1, 10, 30, tzinfo=UTC),
            AuditEntry.at > datetime(2026, 7, 1, 11, 30, tzinfo=timezone(timedelta(hours=2))),
        )
    ).all()
    assert found == [entry_id]


def test_default_timestamps_are_aware(make_member):
    member = make_member()
    member_id = member.id
    db.session.expire_all()
    created = db.session.get(type(member), member_id).created_at
    assert created.tzinfo is not None
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=5)


def test_autogenerate_writes_plain_sqlalchemy_types():
    """New migrations must not import panel code, which may change after they are written."""
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"target_metadata": Base.metadata, "render_item": render_item},
        )
        script = produce_migrations(context, Base.metadata)
        code = render_python_code(script.upgrade_ops, render_item=render_item)
    engine.dispose()
    assert "sa.DateTime(timezone=True)" in code
    assert "panel." not in code


def test_foreign_keys_are_enforced(make_user):
    """SQLite only checks them with the pragma the panel switches on."""
    from sqlalchemy.exc import IntegrityError

    user = make_user("admin")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        user.member_id = 2**31 - 7
        db.session.flush()
    db.session.rollback()


def test_savepoints_roll_back_only_their_part(make_user):
    """Nested operations and the test suite rely on real SAVEPOINTs, on SQLite too."""
    user = make_user("admin")
    user.display_name = "kept"
    db.session.flush()
    nested = db.session.begin_nested()
    user.display_name = "discarded"
    db.session.flush()
    nested.rollback()
    db.session.expire_all()
    assert db.session.get(type(user), user.id).display_name == "kept"


def test_money_formatting():
    assert format_money(Decimal("1234.5"), "de") == "1.234,50\xa0€"
    assert format_money(Decimal("1234.5"), "en") == "€1,234.50"
    assert format_money(Decimal("-0.5"), "de_DE") == "-0,50\xa0€"
