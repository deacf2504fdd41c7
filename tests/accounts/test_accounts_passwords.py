"""Password reset by mail through a real SMTP server, the password policy, and sessions and API
tokens that end when the password changes."""

import re
from datetime import timedelta

import pytest
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import update

from panel.accounts.models import PasswordResetToken
from panel.accounts.operations import create_api_token, find_user_by_email
from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db

NEW_PASSWORD = "a brand new long passphrase"
LINK = re.compile(r"http://panel\.test(/password/reset/[A-Za-z0-9_-]+)")
SENT = "If the address has an account, a link is on its way."


def reset_link(message) -> str:
    match = LINK.search(message.get_content())
    assert match, message.get_content()
    return match.group(1)


def ask_for_link(client, email: str):
    return client.post("/password/forgot", data={"email": email}, follow_redirects=True)


def logs_in(client, form_login, email: str, password: str) -> bool:
    response = form_login(client, email, password)
    if response.status_code == 302:
        client.post("/logout")
        return True
    return False


def test_reset_link_by_mail_sets_a_new_password_once(
    client, make_account, smtp_server, form_login, audit_entries
):
    account = make_account()
    email = account.user.email

    answer = ask_for_link(client, email)

    assert SENT in answer.get_data(as_text=True)
    [message] = smtp_server.messages
    assert message["To"] == email
    assert "Passwort" in message["Subject"]
    path = reset_link(message)
    assert client.get(path).status_code == 200

    response = client.post(path, data={"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not logs_in(client, form_login, email, account.password)
    assert logs_in(client, form_login, email, NEW_PASSWORD)
    assert [entry.source for entry in audit_entries("user.password_reset")] == ["web"]

    assert client.get(path).status_code == 404
    again = client.post(path, data={"password": "yet another long passphrase"})
    assert again.status_code == 404
    assert logs_in(client, form_login, email, NEW_PASSWORD)


def test_unknown_address_gets_the_same_answer_and_no_mail(client, make_account, smtp_server):
    known = client.post("/password/forgot", data={"email": make_account().user.email})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.org"})

    assert (unknown.status_code, unknown.headers["Location"]) == (
        known.status_code,
        known.headers["Location"],
    )
    assert SENT in client.get("/login").get_data(as_text=True)
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["To"] != "nobody@example.org"


def test_a_mail_server_that_is_down_gives_the_same_answer(client, make_account, mail_down):
    response = ask_for_link(client, make_account().user.email)

    assert response.status_code == 200
    assert SENT in response.get_data(as_text=True)


def test_expired_link_is_refused(client, make_account, smtp_server, form_login):
    account = make_account()
    ask_for_link(client, account.user.email)
    path = reset_link(smtp_server.messages[0])
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == account.user.id)
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()

    assert client.get(path).status_code == 404
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 404
    assert logs_in(client, form_login, account.user.email, account.password)


def test_reset_enforces_the_password_policy(client, make_account, smtp_server, form_login):
    account = make_account()
    ask_for_link(client, account.user.email)
    path = reset_link(smtp_server.messages[0])

    response = client.post(path, data={"password": "short pass"})

    assert response.status_code == 422
    assert "Use at least 12 characters." in response.get_data(as_text=True)
    assert logs_in(client, form_login, account.user.email, account.password)
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 302


def test_a_new_password_voids_older_links(client, make_account, smtp_server, login_as):
    account = make_account()
    ask_for_link(client, account.user.email)
    path = reset_link(smtp_server.messages[0])
    member_client, _ = login_as(account.user)

    member_client.post(
        "/account/password",
        data={"current_password": account.password, "new_password": NEW_PASSWORD},
    )

    assert client.get(path).status_code == 404


def test_password_change_ends_other_sessions(
    make_account, login_as, logged_in_as, audit_entries, form_login, client
):
    account = make_account()
    user = account.user
    this_browser, _ = login_as(user)
    other_browser, _ = login_as(user)
    assert other_browser.get("/").status_code == 200

    response = this_browser.post(
        "/account/password",
        data={"current_password": account.password, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 302
    db.session.refresh(user)
    assert user.session_version == 2
    assert logged_in_as(this_browser) == f"{user.id}:2"
    assert this_browser.get("/").status_code == 200
    assert other_browser.get("/").status_code == 302
    [entry] = audit_entries("user.password_change")
    assert (entry.source, entry.actor_id) == ("web", user.id)
    assert audit_entries("user.login") == []
    assert logs_in(client, form_login, user.email, NEW_PASSWORD)


def test_password_change_needs_the_current_password_and_a_good_new_one(
    make_account, login_as, audit_entries
):
    account = make_account()
    member_client, user = login_as(account.user)
    other_browser, _ = login_as(user)

    wrong = member_client.post(
        "/account/password",
        data={"current_password": "not my password", "new_password": NEW_PASSWORD},
    )
    weak = member_client.post(
        "/account/password",
        data={"current_password": account.password, "new_password": "too short"},
    )

    assert wrong.status_code == 422
    assert "The current password is not right." in wrong.get_data(as_text=True)
    assert weak.status_code == 422
    assert "Use at least 12 characters." in weak.get_data(as_text=True)
    db.session.refresh(user)
    assert user.session_version == 1
    assert other_browser.get("/").status_code == 200
    assert audit_entries("user.password_change") == []


def test_password_reset_ends_every_session(client, make_account, smtp_server, login_as):
    account = make_account()
    logged_in, _ = login_as(account.user)
    ask_for_link(client, account.user.email)

    client.post(reset_link(smtp_server.messages[0]), data={"password": NEW_PASSWORD})

    assert logged_in.get("/").status_code == 302


def test_admin_creates_a_user_who_gets_a_link_by_mail(
    make_account, login_as, smtp_server, form_login, client
):
    admin_client, _ = login_as(make_account("admin", totp=True).user)

    response = admin_client.post(
        "/admin/users", data={"email": "newcomer@example.org", "role": "member"}
    )

    assert response.status_code == 302
    [message] = smtp_server.messages
    assert message["To"] == "newcomer@example.org"
    client.post(reset_link(message), data={"password": NEW_PASSWORD})
    assert logs_in(client, form_login, "newcomer@example.org", NEW_PASSWORD)


def test_admin_user_form_enforces_the_password_policy(make_account, login_as, smtp_server):
    admin_client, _ = login_as(make_account("admin", totp=True).user)

    response = admin_client.post(
        "/admin/users",
        data={"email": "weak@example.org", "role": "member", "password": "short"},
    )

    assert response.status_code == 422
    assert "Use at least 12 characters." in response.get_data(as_text=True)
    assert find_user_by_email("weak@example.org") is None
    assert smtp_server.messages == []


def api_status(app, token: str) -> int:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get("/api/v1/account").status_code


def make_tokens(user, count: int = 2) -> list[str]:
    with acting("cli", user):
        return [create_api_token(user, f"script {number}")[1] for number in range(count)]


def test_password_form_offers_to_revoke_the_tokens_checked(make_account, login_as):
    member_client, _ = login_as(make_account().user)

    page = member_client.get("/account").get_data(as_text=True)

    checkbox = re.search(r'<input[^>]*name="revoke_tokens"[^>]*>', page).group(0)
    assert "checked" in checkbox
    assert "Also revoke all my API tokens: scripts and apps that use them stop working" in page


def test_password_change_revokes_the_tokens_when_asked(app, make_account, login_as, audit_entries):
    account = make_account()
    member_client, user = login_as(account.user)
    other_browser, _ = login_as(user)
    tokens = make_tokens(user)
    refused = member_client.post(
        "/account/password",
        data={
            "current_password": "not my password",
            "new_password": NEW_PASSWORD,
            "revoke_tokens": "y",
        },
    )
    assert refused.status_code == 422
    assert [api_status(app, token) for token in tokens] == [200, 200]

    response = member_client.post(
        "/account/password",
        data={
            "current_password": account.password,
            "new_password": NEW_PASSWORD,
            "revoke_tokens": "y",
        },
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "API tokens revoked: 2." in response.get_data(as_text=True)
    assert [api_status(app, token) for token in tokens] == [401, 401]
    assert other_browser.get("/").status_code == 302
    assert member_client.get("/").status_code == 200
    [entry] = audit_entries("user.password_change")
    assert entry.after == {"api_tokens_revoked": 2}


def test_password_change_keeps_the_tokens_when_unchecked(app, make_account, login_as):
    account = make_account()
    member_client, user = login_as(account.user)
    tokens = make_tokens(user)

    response = member_client.post(
        "/account/password",
        data={"current_password": account.password, "new_password": NEW_PASSWORD},
        follow_redirects=True,
    )

    assert "API tokens revoked" not in response.get_data(as_text=True)
    assert [api_status(app, token) for token in tokens] == [200, 200]


def test_password_reset_always_revokes_the_tokens(
    app, client, make_account, smtp_server, audit_entries
):
    account = make_account()
    tokens = make_tokens(account.user)
    ask_for_link(client, account.user.email)

    response = client.post(
        reset_link(smtp_server.messages[0]), data={"password": NEW_PASSWORD}, follow_redirects=True
    )

    assert "API tokens revoked: 2." in response.get_data(as_text=True)
    assert [api_status(app, token) for token in tokens] == [401, 401]
    [entry] = audit_entries("user.password_reset")
    assert entry.after == {"api_tokens_revoked": 2}


def test_an_unknown_account_s_login_costs_what_a_known_one_s_does(cheap_password_hashes):
    """The dummy hash that a login for an unknown account is checked against is written out in
    the code: it must have the production hasher's parameters (the same cost as a real
    account's hash) and match no password."""
    hasher, dummy = cheap_password_hashes
    assert not hasher.check_needs_rehash(dummy)
    assert dummy.startswith("$argon2id$")
    with pytest.raises(VerifyMismatchError):
        hasher.verify(dummy, "")
