"""Every change to the register and the ledger leaves an audit entry with before and after."""

from datetime import date

import pytest

from panel.coop.operations import (
    admit_member,
    cancel_membership,
    end_membership,
    record_share_transaction,
    reverse_share_transaction,
    update_member,
)
from panel.core.audit import AuditEntry, acting
from panel.core.errors import PanelError
from panel.extensions import db

DAY = date(2024, 3, 1)


def entries(action: str) -> list[AuditEntry]:
    return db.session.query(AuditEntry).filter_by(action=action).order_by(AuditEntry.id).all()


def test_member_create_is_audited_with_the_record(make_member):
    member = make_member("abc", name="Anna", on=DAY)
    (entry,) = entries("member.create")
    assert (entry.object_type, entry.object_id) == ("Member", str(member.id))
    assert entry.member_id == member.id
    assert entry.source == "cli"
    assert entry.before is None
    assert entry.after["number"] == "M-00001"
    assert entry.after["prefix"] == "abc"
    assert entry.after["name"] == "Anna"
    assert entry.after["status"] == "active"
    assert entry.after["applied_on"] == "2024-03-01"
    (login,) = entries("user.create")
    assert login.member_id == member.id
    assert login.after["role"] == "member"


def test_status_changes_are_audited_with_before_and_after(make_member, make_user):
    admin = make_user("admin")
    member = make_member(admit=False, on=DAY)
    with acting("web", admin):
        admit_member(member, DAY)
        cancel_membership(member, "2024-12-31")
        end_membership(member, "2025-01-01")
    for action, before, after, day_field, day in (
        ("member.admit", "applicant", "active", "admitted_on", "2024-03-01"),
        ("member.cancel", "active", "cancelled", "cancelled_on", "2024-12-31"),
        ("member.end", "cancelled", "ended", "ended_on", "2025-01-01"),
    ):
        (entry,) = entries(action)
        assert (entry.before["status"], entry.after["status"]) == (before, after)
        assert entry.before[day_field] is None
        assert entry.after[day_field] == day
        assert (entry.actor_id, entry.actor_label, entry.source) == (admin.id, admin.email, "web")
        assert entry.member_id == member.id


def test_contact_changes_are_audited(make_member):
    member = make_member("abc", city="Berlin")
    update_member(member, {"city": "Hamburg"})
    (entry,) = entries("member.update")
    assert (entry.before["city"], entry.after["city"]) == ("Berlin", "Hamburg")


def test_share_bookings_are_audited_with_the_total(make_member):
    member = make_member()
    booking = record_share_transaction(member, "subscription", 5, DAY)
    cancellation = record_share_transaction(member, "cancellation", 2, "2024-06-30")
    reversal = reverse_share_transaction(cancellation, DAY)

    (subscribed,) = entries("share.subscription")
    assert (subscribed.object_type, subscribed.object_id) == ("ShareTransaction", str(booking.id))
    assert subscribed.before == {"share_count": 0}
    assert subscribed.after["share_count"] == 5
    assert subscribed.after["count"] == 5
    assert subscribed.after["value_date"] == "2024-03-01"
    assert subscribed.member_id == member.id

    (cancelled,) = entries("share.cancellation")
    assert cancelled.before == {"share_count": 5}
    assert (cancelled.after["share_count"], cancelled.after["count"]) == (3, -2)
    assert cancelled.after["value_date"] == "2024-06-30"

    (reversed_,) = entries("share.reversal")
    assert reversed_.object_id == str(reversal.id)
    assert reversed_.before == {"share_count": 3}
    assert (reversed_.after["share_count"], reversed_.after["count"]) == (5, 2)
    assert reversed_.after["reverses_id"] == cancellation.id


@pytest.mark.parametrize(
    "attempt",
    [
        lambda member: record_share_transaction(member, "cancellation", 1, DAY),
        lambda member: record_share_transaction(member, "subscription", 0, DAY),
        lambda member: admit_member(member),
        lambda member: end_membership(member),
        lambda member: update_member(member, {"email": "broken"}),
    ],
)
def test_refused_changes_leave_no_audit_entry(make_member, attempt):
    member = make_member()
    before = db.session.query(AuditEntry).count()
    with pytest.raises(PanelError):
        attempt(member)
    assert db.session.query(AuditEntry).count() == before
