"""Admins keep every account and resellers their customers' on the pages: list, search, create
(with a password link shown once or mailed), edit, roles, disable, 2FA reset, delete."""

import re

import pytest
from sqlalchemy import func, select

from panel.accounts import management, operations
from panel.accounts.models import ApiToken, RecoveryCode, User
from panel.core.audit import acting
from panel.extensions import db
from panel.webspaces import operations as webspaces

LINK = re.compile(r'<code id="password-link">([^<]+)</code>')
NEW_PASSWORD = "a brand new passphrase"


def users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


@pytest.fixture
def admin(make_account, login_as):
    return login_as(make_account("admin", totp=True).user)[0]


@pytest.fixture
def reseller(make_user):
    return make_user("reseller")


def test_admin_creates_a_customer_and_sees_its_password_link_once(admin, reseller, app, client):
    app.config["SMTP_URL"] = None

    page = admin.post(
        "/admin/users",
        data={"email": "Shop@Example.org", "role": "customer", "reseller": reseller.email},
    )

    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    assert "No mail server is configured" in page.text
    customer = operations.find_user_by_email("shop@example.org")
    assert customer.role == "customer" and customer.reseller_id == reseller.id
    path = LINK.search(page.text).group(1).removeprefix(app.config["BASE_URL"].rstrip("/"))
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 302
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 404
    assert operations.authenticate("shop@example.org", NEW_PASSWORD) is not None


def test_with_a_mail_server_the_link_is_mailed_not_shown(admin, smtp_server):
    page = admin.post(
        "/admin/users", data={"email": "new@example.org", "role": "member"}, follow_redirects=True
    )

    [message] = smtp_server.messages
    assert message["To"] == "new@example.org"
    assert "A link to set the password is on its way to new@example.org." in page.text
    assert 'id="password-link"' not in page.text


def test_the_api_mails_the_link_too(api_as, smtp_server):
    admin, _ = api_as("admin")

    answer = admin.post("/api/v1/users", json={"email": "mailed@example.org", "role": "member"})

    assert answer.status_code == 201
    assert answer.json["password_link"] is None and answer.json["password_mailed"] is True
    assert [message["To"] for message in smtp_server.messages] == ["mailed@example.org"]


def test_a_mail_server_that_is_down_is_said(admin, mail_down):
    page = admin.post(
        "/admin/users", data={"email": "new@example.org", "role": "member"}, follow_redirects=True
    )

    assert "The mail with the password link could not be sent." in page.text
    assert operations.find_user_by_email("new@example.org") is not None


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"email": "not-an-email", "role": "member"}, "Not a valid email address"),
        ({"email": "x@example.org", "role": "emperor"}, "Not a valid choice"),
        ({"email": "x@example.org", "role": "customer"}, "Name the reseller the customer"),
        (
            {"email": "x@example.org", "role": "customer", "reseller": "nobody@example.org"},
            "Not a reseller&#39;s account.",
        ),
        (
            {"email": "x@example.org", "role": "member", "reseller": "a@example.org"},
            "Only a customer has a reseller.",
        ),
    ],
)
def test_admin_form_refuses_bad_input_and_changes_nothing(admin, form, message):
    before = users()

    page = admin.post("/admin/users", data=form)

    assert page.status_code == 422
    assert message in page.text
    assert users() == before


def test_a_taken_address_is_refused(admin, reseller):
    before = users()

    page = admin.post("/admin/users", data={"email": reseller.email.upper(), "role": "member"})

    assert page.status_code == 422
    assert "Taken." in page.text
    assert users() == before


def test_the_list_is_searchable_and_paginated(admin):
    with acting("cli"):
        for number in range(55):
            operations.create_user(f"person{number:02}@example.org", "member")
        operations.create_user("someone@else.org", "member", display_name="Findme Person")

    first = admin.get("/admin/users").text
    second = admin.get("/admin/users?page=2").text
    found = admin.get("/admin/users?q=findme").text

    assert 'rel="next"' in first and 'rel="prev"' in second and 'rel="next"' not in second
    assert "person00@example.org" in first and "person00@example.org" not in second
    assert "someone@else.org" in found and "person00@example.org" not in found


def test_role_member_to_reseller_and_back_unless_it_has_customers(admin, make_user):
    member = make_user("member")

    assert admin.post(f"/users/{member.id}/role", data={"role": "reseller"}).status_code == 302
    db.session.refresh(member)
    assert member.role == "reseller"
    customer = make_user("customer", reseller=member)

    page = admin.post(f"/users/{member.id}/role", data={"role": "member"})

    assert page.status_code == 422
    assert "This reseller still has customers" in page.text
    db.session.refresh(member)
    assert member.role == "reseller"
    with acting("cli"):
        management.delete_account(customer)
    assert admin.post(f"/users/{member.id}/role", data={"role": "member"}).status_code == 302
    db.session.refresh(member)
    assert member.role == "member"


def test_an_admin_role_is_not_swapped(admin, make_account):
    other = make_account("admin").user

    page = admin.post(f"/users/{other.id}/role", data={"role": "member"})

    assert page.status_code == 422
    db.session.refresh(other)
    assert other.role == "admin"


def test_disabling_ends_sessions_and_tokens_at_once(admin, make_user, login_as, api_as):
    member = make_user("member")
    session, _ = login_as(member)
    api, _ = api_as(member)
    assert session.get("/account").status_code == 200
    assert api.get("/api/v1/account").status_code == 200

    assert admin.post(f"/users/{member.id}/disable").status_code == 302

    assert session.get("/account").status_code == 302
    assert api.get("/api/v1/account").status_code == 401
    admin.post(f"/users/{member.id}/enable")
    db.session.expire_all()
    # Enabling again revives neither the old session nor the revoked token.
    assert session.get("/account").status_code == 302
    assert api.get("/api/v1/account").status_code == 401
    assert (
        db.session.scalar(
            select(func.count()).where(ApiToken.user_id == member.id, ApiToken.revoked_at.is_(None))
        )
        == 0
    )


def test_nobody_disables_their_own_account(make_account, login_as):
    client, admin = login_as(make_account("admin", totp=True).user)

    page = client.post(f"/users/{admin.id}/disable", follow_redirects=True)

    assert "You cannot disable your own account." in page.text
    db.session.refresh(admin)
    assert admin.is_enabled


def test_admin_resets_a_second_factor(admin, make_account):
    account = make_account(totp=True)

    assert admin.post(f"/users/{account.user.id}/second-factor/reset").status_code == 302

    db.session.refresh(account.user)
    assert not account.user.totp_enabled and account.user.totp_secret is None
    codes = select(func.count()).where(RecoveryCode.user_id == account.user.id)
    assert db.session.scalar(codes) == 0


def test_reseller_creates_edits_and_deletes_its_customer(reseller, login_as, make_host):
    client, _ = login_as(reseller)

    page = client.post(
        "/customers",
        data={"email": "cafe@example.org", "display_name": "Café", "contact": "Kassel"},
    )

    assert page.status_code == 200 and LINK.search(page.text)
    customer = operations.find_user_by_email("cafe@example.org")
    assert (customer.role, customer.reseller_id, customer.contact) == (
        "customer",
        reseller.id,
        "Kassel",
    )
    make_host("web1")
    with acting("cli"):
        webspace, _ = webspaces.create_webspace(reseller.member)
    webspace.customer_user_id = customer.id
    db.session.commit()
    listing = client.get("/customers").text
    assert "Café" in listing and webspace.name in listing.split("Café")[1]

    edited = client.post(
        f"/users/{customer.id}", data={"email": "cafe@example.org", "display_name": "Café Zwei"}
    )
    assert edited.status_code == 302
    db.session.refresh(customer)
    assert customer.display_name == "Café Zwei"

    assert client.post(f"/users/{customer.id}/delete").headers["Location"] == "/customers"
    assert operations.find_user_by_email("cafe@example.org") is None
    db.session.refresh(webspace)
    assert webspace.customer_user_id is None


def test_reseller_makes_customers_only_and_keeps_only_its_own(reseller, login_as, make_user):
    client, _ = login_as(reseller)
    other = make_user("customer", reseller=make_user("reseller"))
    before = users()

    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/users/{other.id}").status_code == 404
    assert client.post(f"/users/{other.id}/disable").status_code == 404
    assert client.post(f"/users/{other.id}/delete").status_code == 404
    assert client.get(f"/users/{reseller.id}").status_code == 404
    db.session.refresh(other)
    assert other.is_enabled and users() == before


def test_a_member_account_is_disabled_not_deleted(admin, make_user):
    member = make_user("member")

    page = admin.post(f"/users/{member.id}/delete", follow_redirects=True)

    assert "Only customer accounts can be deleted" in page.text
    assert db.session.get(User, member.id) is not None


def test_pages_speak_german(reseller, login_as):
    client, _ = login_as(reseller)
    client.post("/language", data={"lang": "de"})

    page = client.get("/customers").text

    assert "Neuer Kunde" in page and "Was sie haben" in page
