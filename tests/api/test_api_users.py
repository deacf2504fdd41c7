"""/api/v1/users: admins keep every account, a reseller its customers'; bad input changes
nothing, and a disabled account's token and session stop working at once."""

import pytest

from panel.accounts import operations
from panel.extensions import db


@pytest.fixture
def admin(api_as):
    return api_as("admin")[0]


@pytest.fixture
def reseller(api_as):
    return api_as("reseller")


def test_admin_creates_an_account_and_gets_its_password_link(admin, app, client):
    app.config["SMTP_URL"] = None

    answer = admin.post("/api/v1/users", json={"email": "New@Example.org", "role": "member"})

    assert answer.status_code == 201
    assert {"id", "email", "role"} <= set(answer.json)
    assert (answer.json["email"], answer.json["role"]) == ("new@example.org", "member")
    assert answer.json["password_mailed"] is False
    assert "no-store" in answer.headers["Cache-Control"]
    path = answer.json["password_link"].removeprefix(app.config["BASE_URL"].rstrip("/"))
    assert client.post(path, data={"password": "a brand new passphrase"}).status_code == 302


def test_admin_names_a_customer_s_reseller(admin, reseller):
    _, seller = reseller

    answer = admin.post(
        "/api/v1/users",
        json={"email": "c@example.org", "role": "customer", "reseller_id": seller.id},
    )

    assert answer.status_code == 201
    assert answer.json["reseller_id"] == seller.id


def test_a_reseller_creates_its_customer(reseller):
    client, seller = reseller

    answer = client.post(
        "/api/v1/users", json={"email": "shop@example.org", "role": "customer", "name": "Shop"}
    )

    assert answer.status_code == 201
    assert (answer.json["role"], answer.json["reseller_id"]) == ("customer", seller.id)
    assert [row["email"] for row in client.get("/api/v1/users").json] == ["shop@example.org"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "not-an-email", "role": "customer"}, 422, "email"),
        ({"email": "x@example.org", "role": "emperor"}, 422, "role"),
        ({"email": "x@example.org", "role": "admin"}, 403, "role"),
        ({"email": "x@example.org", "role": "member"}, 403, "role"),
        ({"email": "x@example.org", "role": "customer", "reseller_id": 99999}, 422, "reseller"),
        ({"email": "x@example.org", "role": "customer", "owner": 1}, 422, "owner"),
    ],
)
def test_a_reseller_s_bad_input_changes_nothing(reseller, table_counts, body, status, field):
    client, _ = reseller
    before = table_counts()

    answer = client.post("/api/v1/users", json=body)

    assert answer.status_code == status
    assert field in answer.json["error"]["fields"]
    assert answer.json["error"]["message"]
    assert table_counts() == before


def test_a_taken_address_is_a_conflict(admin, reseller, table_counts):
    _, seller = reseller
    before = table_counts()

    answer = admin.post("/api/v1/users", json={"email": seller.email.upper(), "role": "member"})

    assert answer.status_code == 409
    assert answer.json["error"]["message"] == "This email address already has an account."
    assert table_counts() == before


def test_a_reseller_touches_no_other_reseller_s_customer(reseller, make_user, table_counts):
    client, _ = reseller
    other = make_user("customer", reseller=make_user("reseller"))
    before = table_counts()

    assert client.get(f"/api/v1/users/{other.id}").status_code == 404
    assert client.patch(f"/api/v1/users/{other.id}", json={"disabled": True}).status_code == 404
    assert client.delete(f"/api/v1/users/{other.id}").status_code == 404
    assert client.post(f"/api/v1/users/{other.id}/password-link").status_code == 404
    assert client.get("/api/v1/users").json == []
    assert table_counts() == before


def test_a_reseller_changes_no_role(reseller, make_user, table_counts):
    client, seller = reseller
    customer = make_user("customer", reseller=seller)
    before = table_counts()

    answer = client.patch(f"/api/v1/users/{customer.id}", json={"role": "member"})

    assert answer.status_code == 422
    assert table_counts() == before


def test_disabling_stops_the_token_and_the_session_at_once(admin, api_as, login_as, make_user):
    member = make_user("member")
    api, _ = api_as(member)
    session, _ = login_as(member)

    answer = admin.patch(f"/api/v1/users/{member.id}", json={"disabled": True})

    assert answer.status_code == 200 and answer.json["disabled"] is True
    assert api.get("/api/v1/account").status_code == 401
    assert session.get("/account").status_code == 302


def test_a_reseller_with_customers_stays_a_reseller(admin, reseller, make_user, table_counts):
    _, seller = reseller
    make_user("customer", reseller=seller)
    before = table_counts()

    answer = admin.patch(
        f"/api/v1/users/{seller.id}", json={"role": "member", "name": "Not written"}
    )

    assert answer.status_code == 409
    assert "still has customers" in answer.json["error"]["message"]
    assert table_counts() == before
    db.session.refresh(seller)
    assert seller.role == "reseller" and seller.display_name != "Not written"


def test_admin_searches_and_filters_accounts(admin, make_user):
    make_user("member", email="findme@example.org")
    make_user("member", email="other@example.org")

    found = admin.get("/api/v1/users?q=findme").json
    members = admin.get("/api/v1/users?role=member&page_size=100").json

    assert [row["email"] for row in found] == ["findme@example.org"]
    assert {row["role"] for row in members} == {"member"}


def test_deleting_a_customer_and_refusing_other_accounts(reseller, admin, make_user):
    client, seller = reseller
    customer = make_user("customer", reseller=seller)
    member = make_user("member")

    assert client.delete(f"/api/v1/users/{customer.id}").status_code == 204
    assert operations.find_user_by_email(customer.email) is None
    refused = admin.delete(f"/api/v1/users/{member.id}")
    assert refused.status_code == 409
    assert operations.find_user_by_email(member.email) is not None


def test_members_and_customers_keep_no_accounts(api_as, make_user):
    member, _ = api_as("member")
    customer, _ = api_as("customer", reseller=make_user("reseller"))

    for client in (member, customer):
        assert client.get("/api/v1/users").status_code == 403
        answer = client.post("/api/v1/users", json={"email": "x@example.org", "role": "customer"})
        assert answer.status_code == 403
