"""POST/GET/PATCH /api/v1/members and the status changes: the contract, and bad input refused
with the field named and nothing written."""

import pytest
from sqlalchemy import select

from panel.accounts.models import User
from panel.coop.models import Member
from panel.core.audit import AuditEntry
from panel.extensions import db

NEW = {"name": "Erika Mustermann", "email": "erika@example.org", "prefix": "eri", "kind": "natural"}


def test_admin_creates_a_member_and_its_first_login(api_as):
    api, admin = api_as("admin")

    response = api.post("/api/v1/members", json=NEW)

    assert response.status_code == 201, response.json
    body = response.json
    assert {"id", "number", "prefix", "user_id"} <= set(body)
    member = db.session.get(Member, body["id"])
    user = db.session.get(User, body["user_id"])
    assert (member.prefix, member.number, member.kind) == ("eri", body["number"], "natural")
    assert body["number"].startswith("M-")
    assert (user.email, user.role, user.member_id) == ("erika@example.org", "member", member.id)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "member.create"))
    assert (entry.source, entry.actor_id, entry.member_id) == ("api", admin.id, member.id)


def test_legal_person_and_applicant(api_as):
    api, _ = api_as("admin")

    response = api.post("/api/v1/members", json={**NEW, "kind": "legal", "admit": False})

    assert response.status_code == 201
    assert (response.json["kind"], response.json["status"]) == ("legal", "applicant")
    assert response.json["admitted_on"] is None


LONG = "x" * 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": LONG}, "name"),
        ({"name": 42}, "name"),
        ({"name": None}, "name"),
        ({"name": "Evil\u0000Name"}, "name"),
        ({"name": ["a"]}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@"}, "email"),
        ({"email": "a@b@example.org"}, "email"),
        ({"email": "x" * 250 + "@example.org"}, "email"),
        ({"email": 7}, "email"),
        ({"prefix": "ab"}, "prefix"),
        ({"prefix": "abcd"}, "prefix"),
        ({"prefix": "AB1"}, "prefix"),
        ({"prefix": "äbc"}, "prefix"),
        ({"prefix": 123}, "prefix"),
        ({"kind": "company"}, "kind"),
        ({"admit": "yes"}, "admit"),
        ({"admit": 1}, "admit"),
        ({"country": "Germany"}, "country"),
        ({"city": "c" * 101}, "city"),
        ({"phone": "1\n2"}, "phone"),
        ({"number": "M-99999"}, "number"),
        ({"share_count": 5}, "share_count"),
    ],
)
def test_bad_member_input_is_refused_and_changes_nothing(api_as, table_counts, change, field):
    api, _ = api_as("admin")
    before = table_counts()

    response = api.post("/api/v1/members", json={**NEW, **change})

    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "validation_failed"
    assert list(error["fields"]) == [field]
    assert all(isinstance(text, str) and text for text in error["fields"][field])
    assert table_counts() == before


@pytest.mark.parametrize("missing", ["name", "email", "prefix"])
def test_required_member_fields(api_as, table_counts, missing):
    api, _ = api_as("admin")
    before = table_counts()
    body = {key: value for key, value in NEW.items() if key != missing}

    response = api.post("/api/v1/members", json=body)

    assert response.status_code == 422
    assert response.json["error"]["fields"] == {missing: ["Missing data for required field."]}
    assert table_counts() == before


def test_duplicate_email_is_a_conflict(api_as, make_member, table_counts):
    api, _ = api_as("admin")
    make_member(email="erika@example.org")
    before = table_counts()

    response = api.post("/api/v1/members", json=NEW)

    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
    assert table_counts() == before


def test_member_sees_only_its_own_record(api_as, make_member):
    api, user = api_as("member")
    other = make_member()

    listed = api.get("/api/v1/members")
    mine = api.get(f"/api/v1/members/{user.member_id}")
    theirs = api.get(f"/api/v1/members/{other.id}")

    assert [row["id"] for row in listed.json] == [user.member_id]
    assert mine.status_code == 200
    assert theirs.status_code == 404
    assert theirs.json["error"]["code"] == "not_found"


def test_member_changes_its_own_contact_data_but_not_anothers(api_as, make_member):
    api, user = api_as("member")
    other = make_member(city="Bremen")

    own = api.patch(f"/api/v1/members/{user.member_id}", json={"city": "Kassel"})
    foreign = api.patch(f"/api/v1/members/{other.id}", json={"city": "Kassel"})

    assert (own.status_code, own.json["city"]) == (200, "Kassel")
    assert foreign.status_code == 404
    db.session.refresh(other)
    assert other.city == "Bremen"


@pytest.mark.parametrize(
    "change",
    [{"prefix": "zzz"}, {"status": "ended"}, {"name": ""}, {"email": "nope"}, {"city": 5}],
)
def test_bad_update_changes_nothing(api_as, make_member, table_counts, change):
    api, _ = api_as("admin")
    member = make_member(city="Bremen")
    before = table_counts()

    response = api.patch(f"/api/v1/members/{member.id}", json=change)

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == list(change)
    db.session.refresh(member)
    assert (member.city, member.status, member.prefix) == ("Bremen", "active", member.prefix)
    assert table_counts() == before


def test_status_changes_follow_the_membership_rules(api_as, make_member):
    api, _ = api_as("admin")
    member = make_member()

    admit_again = api.post(f"/api/v1/members/{member.id}/admit")
    cancel = api.post(f"/api/v1/members/{member.id}/cancel", json={"on": "2030-12-31"})
    too_early = api.post(f"/api/v1/members/{member.id}/end", json={"on": "2030-12-30"})
    end = api.post(f"/api/v1/members/{member.id}/end", json={"on": "2031-01-01"})

    assert admit_again.status_code == 409
    assert (cancel.status_code, cancel.json["cancelled_on"]) == (200, "2030-12-31")
    assert (too_early.status_code, list(too_early.json["error"]["fields"])) == (422, ["on"])
    assert (end.status_code, end.json["status"]) == (200, "ended")


def test_status_change_with_a_bad_date(api_as, make_member, table_counts):
    api, _ = api_as("admin")
    member = make_member()
    before = table_counts()

    response = api.post(f"/api/v1/members/{member.id}/cancel", json={"on": "31.12.2030"})

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["on"]
    assert table_counts() == before


def test_list_filters_by_status(api_as, make_member):
    api, _ = api_as("admin")
    applicant = make_member(admit=False)
    make_member()

    response = api.get("/api/v1/members?status=applicant")

    assert [row["id"] for row in response.json] == [applicant.id]
    assert api.get("/api/v1/members?status=bogus").status_code == 422
