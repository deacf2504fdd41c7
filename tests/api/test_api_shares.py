"""The share ledger over the API: booking (admin), reading (owner), refusing bad counts."""

import pytest

from panel.coop.models import ShareTransaction
from panel.extensions import db

BOOKING = {"kind": "subscription", "count": 3, "value_date": "2025-01-15"}


def test_admin_books_and_reverses_shares(api_as, make_member):
    api, _ = api_as("admin")
    member = make_member()

    booked = api.post(f"/api/v1/members/{member.id}/shares", json=BOOKING)
    cancelled = api.post(
        f"/api/v1/members/{member.id}/shares",
        json={"kind": "cancellation", "count": 1, "value_date": "2025-02-01", "note": "a\nb"},
    )
    reversed_ = api.post(f"/api/v1/shares/{cancelled.json['id']}/reverse")

    assert (booked.status_code, booked.json["count"]) == (201, 3)
    assert (cancelled.status_code, cancelled.json["count"]) == (201, -1)
    assert (reversed_.status_code, reversed_.json["reverses_id"]) == (201, cancelled.json["id"])
    db.session.refresh(member)
    assert member.share_count == 3
    assert api.get(f"/api/v1/members/{member.id}").json["share_count"] == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"count": -3}, "count"),
        ({"count": 0}, "count"),
        ({"count": 10_001}, "count"),
        ({"count": 2.5}, "count"),
        ({"count": "3"}, "count"),
        ({"count": True}, "count"),
        ({"kind": "reversal"}, "kind"),
        ({"value_date": "2025-13-01"}, "value_date"),
        ({"value_date": None}, "value_date"),
        ({"note": "n" * 501}, "note"),
        ({"note": "bell\a"}, "note"),
        ({"member_id": 1}, "member_id"),
    ],
)
def test_bad_booking_is_refused_and_changes_nothing(
    api_as, make_member, table_counts, change, field
):
    api, _ = api_as("admin")
    member = make_member()
    before = table_counts()

    response = api.post(f"/api/v1/members/{member.id}/shares", json={**BOOKING, **change})

    assert response.status_code == 422, response.json
    assert list(response.json["error"]["fields"]) == [field]
    assert table_counts() == before


def test_cancelling_more_than_held_is_refused(api_as, make_member, table_counts):
    api, _ = api_as("admin")
    member = make_member()
    api.post(f"/api/v1/members/{member.id}/shares", json=BOOKING)
    before = table_counts()

    response = api.post(
        f"/api/v1/members/{member.id}/shares",
        json={**BOOKING, "kind": "cancellation", "count": 4},
    )

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["count"]
    assert table_counts() == before
    db.session.refresh(member)
    assert member.share_count == 3


def test_member_reads_its_ledger_but_books_nothing(api_as, make_member):
    admin, _ = api_as("admin")
    api, user = api_as("member")
    other = make_member()
    for member_id in (user.member_id, other.id):
        admin.post(f"/api/v1/members/{member_id}/shares", json=BOOKING)
    own_booking = db.session.scalar(
        db.select(ShareTransaction).where(ShareTransaction.member_id == user.member_id)
    )

    own = api.get(f"/api/v1/members/{user.member_id}/shares")
    foreign = api.get(f"/api/v1/members/{other.id}/shares")
    book = api.post(f"/api/v1/members/{user.member_id}/shares", json=BOOKING)
    reverse = api.post(f"/api/v1/shares/{own_booking.id}/reverse")

    assert [row["count"] for row in own.json] == [3]
    assert foreign.status_code == 404
    assert (book.status_code, reverse.status_code) == (403, 403)
