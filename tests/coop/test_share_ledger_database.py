"""The database itself guards the share ledger: raw SQL that bypasses the operations is refused.

Each refused statement runs inside a savepoint (begin_nested): on PostgreSQL a failed statement
aborts the whole transaction otherwise, and the rest of the test could not look at the result.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from panel.coop.models import ShareTransaction
from panel.coop.operations import record_share_transaction
from panel.extensions import db

DAY = date(2024, 3, 1)
INSERT = text(
    "INSERT INTO share_transactions"
    " (member_id, kind, count, value_date, reverses_id, note, created_at)"
    " VALUES (:member_id, :kind, :count, :value_date, :reverses_id, '', :created_at)"
)


def insert(member_id: int, kind: str, count: int, reverses_id: int | None = None) -> None:
    db.session.execute(
        INSERT,
        {
            "member_id": member_id,
            "kind": kind,
            "count": count,
            "value_date": DAY,
            "reverses_id": reverses_id,
            "created_at": datetime.now(UTC),
        },
    )


def refused(statement, *args, error=DBAPIError) -> str:
    """Run the statement in a savepoint; it must fail. Returns the database's message."""
    with pytest.raises(error) as caught, db.session.begin_nested():
        statement(*args)
    return str(caught.value.orig)


def holds(member) -> int:
    db.session.expire_all()
    return db.session.scalar(text("SELECT share_count FROM members WHERE id = :id"), {"id": member})


@pytest.fixture
def member_with_two(make_member):
    member = make_member()
    record_share_transaction(member, "subscription", 2, DAY)
    return member.id


def test_a_raw_insert_keeps_the_total(member_with_two):
    """The trigger, not the operation, keeps members.share_count."""
    insert(member_with_two, "subscription", 3)
    insert(member_with_two, "cancellation", -1)
    assert holds(member_with_two) == 4


def test_a_raw_cancellation_beyond_the_total_is_refused(member_with_two, count_rows):
    rows = count_rows(ShareTransaction)
    message = refused(insert, member_with_two, "cancellation", -3, error=IntegrityError)
    assert "share_count" in message
    assert holds(member_with_two) == 2
    assert count_rows(ShareTransaction) == rows
    # The transaction is still usable: the next statement works.
    insert(member_with_two, "cancellation", -2)
    assert holds(member_with_two) == 0


def test_a_raw_update_of_the_total_below_zero_is_refused(member_with_two):
    message = refused(
        db.session.execute,
        text("UPDATE members SET share_count = -1 WHERE id = :id"),
        {"id": member_with_two},
        error=IntegrityError,
    )
    assert "share_count" in message
    assert holds(member_with_two) == 2


@pytest.mark.parametrize(
    ("kind", "count"),
    [("subscription", -1), ("subscription", 0), ("cancellation", 1), ("gift", 1)],
)
def test_a_raw_row_whose_sign_does_not_fit_its_kind_is_refused(member_with_two, kind, count):
    refused(insert, member_with_two, kind, count, error=IntegrityError)
    assert holds(member_with_two) == 2


def test_a_raw_second_reversal_is_refused(member_with_two):
    booking = db.session.scalar(
        text("SELECT id FROM share_transactions WHERE member_id = :id"), {"id": member_with_two}
    )
    insert(member_with_two, "reversal", -2, booking)
    refused(insert, member_with_two, "reversal", -2, booking, error=IntegrityError)
    assert holds(member_with_two) == 0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE share_transactions SET count = 50 WHERE member_id = :id",
        "UPDATE share_transactions SET note = 'edited' WHERE member_id = :id",
        "DELETE FROM share_transactions WHERE member_id = :id",
    ],
)
def test_raw_updates_and_deletes_of_the_ledger_are_refused(member_with_two, count_rows, statement):
    rows = count_rows(ShareTransaction)
    message = refused(db.session.execute, text(statement), {"id": member_with_two})
    assert "append-only" in message
    assert count_rows(ShareTransaction) == rows
    assert holds(member_with_two) == 2
    note = db.session.scalar(
        text("SELECT note FROM share_transactions WHERE member_id = :id"), {"id": member_with_two}
    )
    assert note == ""


def test_an_orm_edit_of_a_ledger_row_is_refused(member_with_two):
    booking = db.session.query(ShareTransaction).filter_by(member_id=member_with_two).one()

    def edit():
        booking.count = 99
        db.session.flush()

    refused(edit)
    db.session.expire_all()
    assert db.session.get(ShareTransaction, booking.id).count == 2
    assert holds(member_with_two) == 2
