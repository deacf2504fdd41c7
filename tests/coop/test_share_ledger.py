"""The share ledger's operations: bookings, reversals, and the total that follows them."""

from datetime import date

import pytest
from sqlalchemy import func, select

from panel.coop.models import ShareTransaction
from panel.coop.operations import (
    MAX_SHARES_PER_TRANSACTION,
    cancel_membership,
    end_membership,
    record_share_transaction,
    reverse_share_transaction,
)
from panel.core.errors import Conflict, ValidationFailed
from panel.extensions import db

DAY = date(2024, 3, 1)


def ledger_sum(member) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(ShareTransaction.count), 0)).where(
            ShareTransaction.member_id == member.id
        )
    )
    return int(total)


def holds(member) -> int:
    db.session.refresh(member)
    return member.share_count


def test_subscription_adds_and_cancellation_subtracts(make_member):
    member = make_member()
    subscription = record_share_transaction(member, "subscription", 5, DAY, "first shares")
    assert (subscription.kind, subscription.count) == ("subscription", 5)
    assert subscription.value_date == DAY
    assert subscription.note == "first shares"
    assert holds(member) == 5
    cancellation = record_share_transaction(member, "cancellation", 2, "2024-06-30")
    assert (cancellation.kind, cancellation.count) == ("cancellation", -2)
    assert cancellation.value_date == date(2024, 6, 30)
    assert holds(member) == 3
    assert ledger_sum(member) == 3


def test_reversal_is_a_counter_booking(make_member):
    member = make_member()
    booking = record_share_transaction(member, "subscription", 4, DAY)
    reversal = reverse_share_transaction(booking, "2024-03-02", "typo")
    assert reversal.kind == "reversal"
    assert reversal.count == -4
    assert reversal.reverses_id == booking.id
    assert reversal.value_date == date(2024, 3, 2)
    assert holds(member) == 0
    # The original line is still there, unchanged.
    db.session.refresh(booking)
    assert (booking.kind, booking.count) == ("subscription", 4)
    assert [row.count for row in member.share_transactions] == [4, -4]


def test_reversing_a_cancellation_gives_the_shares_back(make_member):
    member = make_member()
    record_share_transaction(member, "subscription", 3, DAY)
    cancellation = record_share_transaction(member, "cancellation", 3, DAY)
    reverse_share_transaction(cancellation)
    assert holds(member) == 3
    assert ledger_sum(member) == 3


def test_a_booking_cannot_be_reversed_twice(make_member, count_rows):
    member = make_member()
    booking = record_share_transaction(member, "subscription", 4, DAY)
    reverse_share_transaction(booking)
    rows = count_rows(ShareTransaction)
    with pytest.raises(Conflict, match="already reversed"):
        reverse_share_transaction(booking)
    assert count_rows(ShareTransaction) == rows
    assert holds(member) == 0


def test_a_reversal_cannot_be_reversed(make_member, count_rows):
    member = make_member()
    booking = record_share_transaction(member, "subscription", 4, DAY)
    reversal = reverse_share_transaction(booking)
    rows = count_rows(ShareTransaction)
    with pytest.raises(Conflict, match="reversal cannot be reversed"):
        reverse_share_transaction(reversal)
    assert count_rows(ShareTransaction) == rows
    assert holds(member) == 0


def test_a_reversal_that_would_go_negative_is_refused(make_member, count_rows):
    member = make_member()
    first = record_share_transaction(member, "subscription", 4, DAY)
    record_share_transaction(member, "cancellation", 3, DAY)
    rows = count_rows(ShareTransaction)
    with pytest.raises(Conflict, match="negative"):
        reverse_share_transaction(first)
    assert count_rows(ShareTransaction) == rows
    assert holds(member) == 1


def test_the_total_always_equals_the_ledger(make_member):
    member = make_member()
    bookings = [
        record_share_transaction(member, "subscription", 10, DAY),
        record_share_transaction(member, "cancellation", 3, DAY),
        record_share_transaction(member, "subscription", 1, DAY),
    ]
    reverse_share_transaction(bookings[1])
    reverse_share_transaction(bookings[2])
    record_share_transaction(member, "cancellation", 10, DAY)
    assert holds(member) == 0
    assert ledger_sum(member) == 0
    other = make_member()
    record_share_transaction(other, "subscription", 7, DAY)
    assert (holds(other), ledger_sum(other)) == (7, 7)


def test_cancelling_more_than_held_is_a_field_error(make_member, count_rows):
    member = make_member()
    record_share_transaction(member, "subscription", 2, DAY)
    rows = count_rows(ShareTransaction)
    with pytest.raises(ValidationFailed) as caught:
        record_share_transaction(member, "cancellation", 3, DAY)
    assert caught.value.fields == {"count": ["The member holds only 2 shares."]}
    assert count_rows(ShareTransaction) == rows
    assert holds(member) == 2


@pytest.mark.parametrize(
    ("count", "message"),
    [
        (0, "Must be at least 1."),
        (-1, "Must be at least 1."),
        (-5, "Must be at least 1."),
        ("-5", "Must be a whole number."),
        (True, "Must be a whole number."),
        (False, "Must be a whole number."),
        (2.0, "Must be a whole number."),
        (1.5, "Must be a whole number."),
        ("1.5", "Must be a whole number."),
        ("three", "Must be a whole number."),
        ("", "Must be a whole number."),
        (None, "Must be a whole number."),
        ([1], "Must be a whole number."),
        ("²", "Must be a whole number."),
        (MAX_SHARES_PER_TRANSACTION + 1, f"Must be at most {MAX_SHARES_PER_TRANSACTION}."),
        (10**30, f"Must be at most {MAX_SHARES_PER_TRANSACTION}."),
        ("9" * 5000, f"Must be at most {MAX_SHARES_PER_TRANSACTION}."),
    ],
)
@pytest.mark.parametrize("kind", ["subscription", "cancellation"])
def test_bad_share_counts_are_refused(make_member, count_rows, kind, count, message):
    member = make_member()
    record_share_transaction(member, "subscription", 1, DAY)
    rows = count_rows(ShareTransaction)
    with pytest.raises(ValidationFailed) as caught:
        record_share_transaction(member, kind, count, DAY)
    assert caught.value.fields == {"count": [message]}
    assert count_rows(ShareTransaction) == rows
    assert holds(member) == 1


def test_a_count_given_as_digits_is_taken(make_member):
    member = make_member()
    record_share_transaction(member, "subscription", " 3 ", DAY)
    assert holds(member) == 3


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"kind": "reversal"}, "kind"),
        ({"kind": "gift"}, "kind"),
        ({"kind": None}, "kind"),
        ({"value_date": "2024-02-30"}, "value_date"),
        ({"value_date": "01.03.2024"}, "value_date"),
        ({"value_date": None}, "value_date"),
        ({"value_date": 20240301}, "value_date"),
        ({"note": "n" * 501}, "note"),
        ({"note": 5}, "note"),
        ({"note": "bell\x07"}, "note"),
    ],
)
def test_bad_booking_fields_are_refused(make_member, count_rows, arguments, field):
    member = make_member()
    booking = {"kind": "subscription", "count": 1, "value_date": DAY, "note": ""} | arguments
    with pytest.raises(ValidationFailed) as caught:
        record_share_transaction(member, **booking)
    assert field in caught.value.fields
    assert count_rows(ShareTransaction) == 0
    assert holds(member) == 0


def test_a_note_may_have_several_lines(make_member):
    member = make_member()
    booking = record_share_transaction(member, "subscription", 1, DAY, "line one\nline two")
    assert booking.note == "line one\nline two"


def test_a_cancelled_membership_takes_no_new_shares(make_member, count_rows):
    member = make_member(on=DAY)
    record_share_transaction(member, "subscription", 2, DAY)
    cancel_membership(member, DAY)
    with pytest.raises(Conflict, match="takes no new shares"):
        record_share_transaction(member, "subscription", 1, DAY)
    assert holds(member) == 2
    record_share_transaction(member, "cancellation", 2, DAY)
    assert holds(member) == 0


def test_an_ended_membership_takes_no_bookings(make_member, count_rows):
    member = make_member(on=DAY)
    booking = record_share_transaction(member, "subscription", 2, DAY)
    cancellation = record_share_transaction(member, "cancellation", 2, DAY)
    cancel_membership(member, DAY)
    end_membership(member, DAY)
    rows = count_rows(ShareTransaction)
    for attempt in (
        lambda: record_share_transaction(member, "subscription", 1, DAY),
        lambda: record_share_transaction(member, "cancellation", 1, DAY),
        lambda: reverse_share_transaction(cancellation),
    ):
        with pytest.raises(Conflict, match="has ended"):
            attempt()
    assert count_rows(ShareTransaction) == rows
    assert holds(member) == 0
    assert booking.reverses_id is None


def test_an_applicant_can_subscribe(make_member):
    member = make_member(admit=False)
    record_share_transaction(member, "subscription", 1, DAY)
    assert holds(member) == 1


def test_bookings_remember_who_made_them(make_member, make_user):
    from panel.core.audit import acting

    admin = make_user("admin")
    member = make_member()
    with acting("web", admin):
        booking = record_share_transaction(member, "subscription", 1, DAY)
    assert booking.created_by_id == admin.id
