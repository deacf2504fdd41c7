"""The member register's operations: numbers, prefixes, the first login, status changes."""

from datetime import date, timedelta

import pytest

from panel.accounts.models import User
from panel.coop.models import Member
from panel.coop.operations import (
    admit_member,
    cancel_membership,
    create_member,
    end_membership,
    record_share_transaction,
    update_member,
)
from panel.core.audit import AuditEntry
from panel.core.errors import Conflict, ValidationFailed
from panel.core.roles import Role
from panel.extensions import db

DAY = date(2024, 3, 1)


def test_members_are_numbered_in_order(make_member):
    first, second, third = make_member(), make_member(), make_member()
    assert [first.number, second.number, third.number] == ["M-00001", "M-00002", "M-00003"]


def test_numbering_goes_on_past_five_digits(make_member):
    member = make_member()
    member.number = "M-99999"
    db.session.commit()
    assert make_member().number == "M-100000"
    assert make_member().number == "M-100001"


def test_create_member_stores_the_record(make_member):
    member = make_member(
        "abc",
        name="  Erika Mustermann ",
        email="Erika@Example.ORG",
        kind="legal",
        phone="+49 30 1234",
        street="Hauptstraße 1",
        postal_code="10115",
        city="Berlin",
        country="de",
        on=DAY,
    )
    stored = db.session.get(Member, member.id)
    assert stored.prefix == "abc"
    assert stored.name == "Erika Mustermann"
    assert stored.email == "erika@example.org"
    assert stored.kind == "legal"
    assert (stored.street, stored.postal_code, stored.city) == ("Hauptstraße 1", "10115", "Berlin")
    assert stored.country == "DE"
    assert stored.status == "active"
    assert stored.applied_on == DAY and stored.admitted_on == DAY
    assert stored.share_count == 0


def test_create_member_makes_a_linked_member_login(make_member):
    member = make_member(email="login@example.org")
    users = db.session.query(User).filter_by(member_id=member.id).all()
    assert len(users) == 1
    user = users[0]
    assert user.email == "login@example.org"
    assert user.role == Role.MEMBER
    assert user.member is member
    assert user.display_name == member.name
    assert user.password_hash  # make_member gives a password


def test_a_long_member_name_still_gets_its_login(make_member):
    """The login's display name is shorter than a member's name; the login is still made."""
    member = make_member(name="N" * 200)
    assert member.users[0].display_name == "N" * 120


@pytest.mark.parametrize(
    "prefix",
    ["ABC", "Abc", "ab1", "a1c", "123", "ab", "abcd", "äbc", "ab-", "a c", "", "   ", "abc\x00"],
)
def test_prefix_must_be_three_lowercase_letters(make_member, count_rows, prefix):
    before = count_rows(Member)
    with pytest.raises(ValidationFailed) as caught:
        make_member(prefix, name="Someone", email="someone@example.org")
    assert "prefix" in caught.value.fields
    assert count_rows(Member) == before
    assert count_rows(User) == 0


def test_prefix_of_the_wrong_type_is_refused(make_member, count_rows):
    for prefix in (123, ["abc"], b"abc"):
        with pytest.raises(ValidationFailed) as caught:
            make_member(prefix, name="Someone", email="someone@example.org")
        assert caught.value.fields == {"prefix": ["Must be text."]}
    assert count_rows(Member) == 0


def test_duplicate_prefix_is_a_conflict_and_writes_nothing(make_member, count_rows):
    make_member("abc")
    members, users, entries = count_rows(Member), count_rows(User), count_rows(AuditEntry)
    with pytest.raises(Conflict) as caught:
        make_member("abc", email="someone.else@example.org")
    assert caught.value.status == 409
    assert caught.value.fields == {"prefix": ["This prefix is taken."]}
    assert (count_rows(Member), count_rows(User), count_rows(AuditEntry)) == (
        members,
        users,
        entries,
    )


def test_duplicate_email_leaves_no_member_behind(make_member, count_rows):
    make_member("abc", email="taken@example.org")
    members, users, entries = count_rows(Member), count_rows(User), count_rows(AuditEntry)
    with pytest.raises(Conflict) as caught:
        make_member("xyz", email="TAKEN@example.org")
    assert "email" in caught.value.fields
    assert count_rows(Member) == members
    assert count_rows(Member, Member.prefix == "xyz") == 0
    assert (count_rows(User), count_rows(AuditEntry)) == (users, entries)
    # The session is usable afterwards, and the number was not used up.
    assert make_member("xyz", email="free@example.org").number == "M-00002"


def test_a_weak_password_leaves_no_member_behind(make_member, count_rows):
    with pytest.raises(ValidationFailed) as caught:
        make_member("abc", password="short")
    assert "password" in caught.value.fields
    assert count_rows(Member) == 0
    assert count_rows(User) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "x" * 1_000_000}, "name"),
        ({"name": 42}, "name"),
        ({"name": None}, "name"),
        ({"name": "line\nbreak"}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "two@@example.org"}, "email"),
        ({"email": ""}, "email"),
        ({"email": 7}, "email"),
        ({"email": "x" * 250 + "@example.org"}, "email"),
        ({"kind": "robot"}, "kind"),
        ({"kind": None}, "kind"),
        ({"admit": "yes"}, "admit"),
        ({"admit": 1}, "admit"),
        ({"phone": "1" * 41}, "phone"),
        ({"city": ["Berlin"]}, "city"),
        ({"country": "DEU"}, "country"),
        ({"country": "D1"}, "country"),
        ({"country": "ÄÖ"}, "country"),
        ({"on": "yesterday"}, "on"),
        ({"status": "active"}, "status"),
        ({"share_count": 5}, "share_count"),
    ],
)
def test_bad_member_input_is_refused_and_writes_nothing(make_member, count_rows, fields, field):
    with pytest.raises(ValidationFailed) as caught:
        make_member("abc", **fields)
    assert field in caught.value.fields
    assert caught.value.fields[field][0]
    assert count_rows(Member) == 0
    assert count_rows(User) == 0
    assert count_rows(AuditEntry) == 0


def test_admit_false_leaves_an_applicant(make_member):
    member = make_member(admit=False, on=DAY)
    assert member.status == "applicant"
    assert member.applied_on == DAY
    assert member.admitted_on is None


def test_admit_cancel_end_with_dates(make_member):
    member = make_member(admit=False, on=DAY)
    admit_member(member, DAY + timedelta(days=10))
    assert (member.status, member.admitted_on) == ("active", DAY + timedelta(days=10))
    cancel_membership(member, "2024-12-31")
    assert (member.status, member.cancelled_on) == ("cancelled", date(2024, 12, 31))
    end_membership(member, date(2025, 6, 30))
    stored = db.session.get(Member, member.id)
    db.session.refresh(stored)
    assert stored.status == "ended"
    assert (stored.applied_on, stored.admitted_on) == (DAY, DAY + timedelta(days=10))
    assert (stored.cancelled_on, stored.ended_on) == (date(2024, 12, 31), date(2025, 6, 30))


def test_status_dates_default_to_today(make_member, today):
    member = make_member(admit=False)
    admit_member(member)
    assert member.admitted_on == today


def test_an_application_can_end_without_admission(make_member):
    member = make_member(admit=False, on=DAY)
    end_membership(member, DAY)
    assert member.status == "ended"
    assert member.admitted_on is None


@pytest.mark.parametrize(
    ("setup", "change"),
    [
        ((), admit_member),  # already active
        ((), end_membership),  # active: must be cancelled first
        ((cancel_membership,), admit_member),
        ((cancel_membership,), cancel_membership),
        ((cancel_membership, end_membership), admit_member),
        ((cancel_membership, end_membership), cancel_membership),
        ((cancel_membership, end_membership), end_membership),
    ],
)
def test_illegal_status_changes_are_refused(make_member, setup, change):
    member = make_member(on=DAY)
    for step in setup:
        step(member, DAY)
    status = member.status
    dates = (member.admitted_on, member.cancelled_on, member.ended_on)
    with pytest.raises(Conflict):
        change(member, DAY)
    db.session.refresh(member)
    assert member.status == status
    assert (member.admitted_on, member.cancelled_on, member.ended_on) == dates


def test_cancel_an_applicant_is_refused(make_member):
    member = make_member(admit=False)
    with pytest.raises(Conflict, match="Only an active membership"):
        cancel_membership(member)
    assert member.status == "applicant"


def test_a_membership_with_shares_cannot_end(make_member):
    member = make_member(on=DAY)
    record_share_transaction(member, "subscription", 2, DAY)
    cancel_membership(member, DAY)
    with pytest.raises(Conflict, match="Shares must be cancelled"):
        end_membership(member, DAY)
    db.session.refresh(member)
    assert member.status == "cancelled"
    assert member.ended_on is None
    record_share_transaction(member, "cancellation", 2, DAY)
    end_membership(member, DAY)
    assert member.status == "ended"


def test_a_status_date_before_the_previous_step_is_refused(make_member):
    member = make_member(admit=False, on=DAY)
    with pytest.raises(ValidationFailed) as caught:
        admit_member(member, DAY - timedelta(days=1))
    assert caught.value.fields == {"on": ["Must not be before 2024-03-01."]}
    db.session.refresh(member)
    assert (member.status, member.admitted_on) == ("applicant", None)


@pytest.mark.parametrize("on", ["31.12.2024", "2024-13-01", 20240101, 3.5, ["2024-01-01"]])
def test_a_malformed_status_date_is_refused(make_member, on):
    member = make_member(admit=False)
    with pytest.raises(ValidationFailed) as caught:
        admit_member(member, on)
    assert "on" in caught.value.fields
    db.session.refresh(member)
    assert member.status == "applicant"


def test_update_member_changes_contact_data_only(make_member):
    member = make_member("abc")
    update_member(member, {"city": " Leipzig ", "email": "New@Example.org", "country": "at"})
    db.session.refresh(member)
    assert (member.city, member.email, member.country) == ("Leipzig", "new@example.org", "AT")
    for field in ("prefix", "status", "share_count", "number"):
        with pytest.raises(ValidationFailed) as caught:
            update_member(member, {field: "zzz"})
        assert caught.value.fields == {field: ["Unknown field."]}
    db.session.refresh(member)
    assert (member.prefix, member.status, member.share_count) == ("abc", "active", 0)


@pytest.mark.parametrize(
    "data",
    [
        {"name": ""},
        {"name": None},
        {"email": "nope"},
        {"city": "c" * 101},
        {"city": "ok", "email": "broken@"},
    ],
)
def test_bad_update_changes_nothing(make_member, data):
    member = make_member("abc", city="Berlin")
    with pytest.raises(ValidationFailed):
        update_member(member, data)
    db.session.refresh(member)
    assert (member.name, member.email, member.city) == ("Member abc", "abc@example.org", "Berlin")


def test_update_with_nothing_new_writes_no_audit_entry(make_member, count_rows):
    member = make_member("abc", city="Berlin")
    entries = count_rows(AuditEntry)
    update_member(member, {"city": "Berlin"})
    assert count_rows(AuditEntry) == entries


def test_create_member_without_password_leaves_the_login_without_one(count_rows):
    member = create_member(name="No Password", email="nopw@example.org", prefix="nop")
    assert member.users[0].password_hash is None
    assert count_rows(User, User.member_id == member.id) == 1
