"""A member's own membership page, and what a member may not reach."""

from datetime import date

import pytest

from panel.coop.models import Member, ShareTransaction
from panel.coop.operations import record_share_transaction, reverse_share_transaction
from panel.extensions import db

DAY = date(2024, 3, 1)
CONTACT = {
    "name": "Mia Member",
    "email": "mia@example.org",
    "phone": "0170 1",
    "street": "Gasse 3",
    "postal_code": "04109",
    "city": "Leipzig",
    "country": "DE",
}


@pytest.fixture
def member_client(login_as, make_member):
    """A logged-in member with a small ledger: (client, member)."""
    member = make_member("mia", name="Mia Member", email="mia@example.org", on=DAY)
    booking = record_share_transaction(member, "subscription", 5, DAY, "entry")
    record_share_transaction(member, "subscription", 2, date(2024, 4, 1), "more")
    reverse_share_transaction(booking, date(2024, 4, 2), "booked twice")
    record_share_transaction(member, "subscription", 5, date(2024, 4, 2), "entry, again")
    client, _ = login_as(member.users[0])
    return client, member


def test_the_membership_page_shows_number_shares_and_history(member_client):
    client, member = member_client
    response = client.get("/membership")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert member.number in html
    assert "mia" in html  # the prefix
    assert "active" in html
    assert "2024-03-01" in html
    for note in ("entry", "more", "booked twice", "entry, again"):
        assert note in html
    for count in ("+5", "+2", "-5"):
        assert count in html
    assert "<strong>7</strong>" in html
    assert "€448.00" in html  # 7 × 64
    # Members see the ledger, not the office's buttons.
    assert "/reverse" not in html
    assert "/admin/members" not in html


def test_a_member_edits_own_contact_data(member_client, fresh):
    client, member = member_client
    response = client.post("/membership", data=CONTACT | {"city": "Dresden"})
    assert response.status_code == 302
    assert fresh(member).city == "Dresden"


def test_a_member_cannot_change_prefix_status_or_shares(member_client, fresh, count_rows):
    client, member = member_client
    rows = count_rows(ShareTransaction)
    sneaky = CONTACT | {
        "prefix": "zzz",
        "status": "ended",
        "share_count": "999",
        "number": "M-99999",
        "kind": "legal",
    }
    assert client.post("/membership", data=sneaky).status_code == 302
    member = fresh(member)
    assert (member.prefix, member.status, member.share_count, member.number, member.kind) == (
        "mia",
        "active",
        7,
        "M-00001",
        "natural",
    )
    assert count_rows(ShareTransaction) == rows


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "mia-at-example.org"}, "Not a valid email address"),
        ({"name": ""}, "This field is required."),
        ({"city": "c" * 101}, "Field cannot be longer than 100 characters."),
        ({"country": "Deutschland"}, "Field cannot be longer than 2 characters."),
        ({"country": "D"}, "A two-letter country code such as DE."),
    ],
)
def test_bad_own_contact_data_is_refused(member_client, fresh, changes, message):
    client, member = member_client
    response = client.post("/membership", data=CONTACT | changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    member = fresh(member)
    assert (member.name, member.email, member.city) == ("Mia Member", "mia@example.org", "")


def test_a_member_does_not_see_another_member(member_client, make_member):
    client, _ = member_client
    other = make_member("oth", name="Otto Other", email="otto@example.org")
    record_share_transaction(other, "subscription", 3, DAY, "otto's note")
    html = client.get("/membership").get_data(as_text=True)
    assert "Otto Other" not in html
    assert "otto's note" not in html
    assert other.number not in html
    assert client.get(f"/admin/members/{other.id}").status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/members"),
        ("get", "/admin/members?status=active"),
        ("get", "/admin/members.csv"),
        ("get", "/admin/members/new"),
        ("post", "/admin/members/new"),
        ("get", "/admin/members/{own}"),
        ("get", "/admin/members/{other}"),
        ("post", "/admin/members/{own}/contact"),
        ("post", "/admin/members/{other}/contact"),
        ("post", "/admin/members/{own}/cancel"),
        ("post", "/admin/members/{other}/cancel"),
        ("post", "/admin/members/{own}/shares"),
        ("post", "/admin/members/{other}/shares"),
        ("post", "/admin/shares/{own_booking}/reverse"),
        ("post", "/admin/shares/{other_booking}/reverse"),
    ],
)
def test_a_member_is_forbidden_the_office(member_client, make_member, fresh, method, path):
    client, member = member_client
    other = make_member("oth")
    other_booking = record_share_transaction(other, "subscription", 3, DAY)
    own_booking = db.session.query(ShareTransaction).filter_by(member_id=member.id).first()
    url = path.format(
        own=member.id, other=other.id, own_booking=own_booking.id, other_booking=other_booking.id
    )
    data = {"kind": "subscription", "count": "9", "value_date": "2024-05-01"} | CONTACT
    response = getattr(client, method)(url, data=data if method == "post" else None)
    assert response.status_code == 403
    assert "M-00002" not in response.get_data(as_text=True)
    for record, shares in ((fresh(member), 7), (fresh(other), 3)):
        assert record.status == "active"
        assert record.share_count == shares
        assert record.city == ""


def test_a_reseller_is_forbidden_the_office_too(login_as):
    client, _ = login_as("reseller")
    assert client.get("/admin/members").status_code == 403
    assert client.get("/admin/members.csv").status_code == 403


def test_the_membership_page_needs_a_login(client):
    response = client.get("/membership")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.post("/membership", data=CONTACT).status_code == 302
    assert db.session.query(Member).count() == 0


def test_an_admin_without_member_record_has_no_membership_page(login_as):
    client, _ = login_as("admin")
    assert client.get("/membership").status_code == 404
