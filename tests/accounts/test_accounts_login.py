"""The two-step login: password, then a TOTP or recovery code; forced enrolment for admins;
turning the second factor off; logging out."""

import re

import pyotp
import pytest
from sqlalchemy import func, select

from panel.accounts import operations
from panel.accounts.models import RecoveryCode
from panel.core.audit import acting
from panel.extensions import db

# Twenty base32 characters in five groups: a selector and 80 secret bits.
RECOVERY_CODE = re.compile(r"<li><code>([A-Z2-7]{4}(?:-[A-Z2-7]{4}){4})</code></li>")


def other_code(code: str) -> str:
    """A six-digit code that is not the given one (nor, in practice, a neighbouring one)."""
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def unused_recovery_codes(user) -> int:
    return db.session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def test_wrong_password_shows_a_message_and_starts_no_session(
    client, make_account, form_login, logged_in_as
):
    account = make_account()

    response = form_login(client, account.user.email, "not the password at all")

    assert response.status_code == 200
    assert "Email or password is not right." in response.get_data(as_text=True)
    assert logged_in_as(client) is None
    assert client.get("/").status_code == 302


def test_unknown_email_gets_the_same_message(client, form_login, logged_in_as):
    response = form_login(client, "nobody@example.org")

    assert "Email or password is not right." in response.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_member_without_totp_logs_in_with_the_password(
    client, make_account, form_login, logged_in_as, audit_entries
):
    account = make_account()

    response = form_login(client, account.user.email.upper())

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert logged_in_as(client) == f"{account.user.id}:{account.user.session_version}"
    assert client.get("/").status_code == 200
    [entry] = audit_entries("user.login")
    assert (entry.source, entry.actor_id, entry.after) == (
        "web",
        account.user.id,
        {"method": "password"},
    )
    db.session.refresh(account.user)
    assert account.user.last_login_at is not None


def test_disabled_user_cannot_log_in(client, make_account, form_login, logged_in_as):
    account = make_account()
    with acting("cli"):
        operations.set_enabled(account.user, False)

    response = form_login(client, account.user.email)

    assert "Email or password is not right." in response.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_totp_user_must_give_a_valid_code(
    client, make_account, form_login, logged_in_as, audit_entries
):
    account = make_account(totp=True)

    response = form_login(client, account.user.email)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/code")
    assert logged_in_as(client) is None
    assert client.get("/").status_code == 302

    refused = client.post("/login/code", data={"code": other_code(account.code())})
    assert refused.status_code == 422
    assert "The code does not match." in refused.get_data(as_text=True)
    assert logged_in_as(client) is None

    accepted = client.post("/login/code", data={"code": account.code()})
    assert accepted.status_code == 302
    assert logged_in_as(client) == account.user.get_id()
    assert client.get("/").status_code == 200
    assert audit_entries("user.login")[-1].after == {"method": "password+totp"}


def test_second_step_needs_the_password_first(client, make_account, logged_in_as):
    account = make_account(totp=True)

    response = client.post("/login/code", data={"code": account.code()})

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert logged_in_as(client) is None


def test_recovery_code_works_once_and_only_once(
    client, make_account, form_login, logged_in_as, audit_entries
):
    account = make_account(totp=True)
    code = account.recovery_codes[0]

    form_login(client, account.user.email)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    assert logged_in_as(client) == account.user.get_id()
    assert unused_recovery_codes(account.user) == 9
    [used] = audit_entries("user.recovery_code_used")
    assert (used.source, used.actor_id) == ("web", account.user.id)

    assert client.post("/logout").status_code == 302
    form_login(client, account.user.email)
    again = client.post("/login/code", data={"code": code.upper()})
    assert again.status_code == 422
    assert logged_in_as(client) is None
    assert unused_recovery_codes(account.user) == 9


def test_admin_without_totp_is_enrolled_before_the_login_completes(
    client, make_account, form_login, logged_in_as, audit_entries
):
    account = make_account("admin")
    user = account.user

    response = form_login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/enrol")
    assert logged_in_as(client) is None
    assert client.get("/").status_code == 302
    assert client.get("/account").status_code == 302

    page = client.get("/login/enrol")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.get_data(as_text=True)).group(1)
    totp = pyotp.TOTP(secret)

    wrong = client.post("/login/enrol", data={"code": other_code(totp.now())})
    assert wrong.status_code == 422
    assert "The code does not match." in wrong.get_data(as_text=True)
    db.session.refresh(user)
    assert not user.totp_enabled
    assert logged_in_as(client) is None

    right = client.post("/login/enrol", data={"code": totp.now()})
    assert right.status_code == 200
    assert right.headers["Cache-Control"] == "no-store"
    codes = RECOVERY_CODE.findall(right.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.refresh(user)
    assert user.totp_enabled
    assert unused_recovery_codes(user) == 10
    assert logged_in_as(client) == user.get_id()
    assert client.get("/").status_code == 200
    [enabled] = audit_entries("user.totp_enable")
    assert (enabled.source, enabled.actor_id) == ("web", user.id)


def test_member_can_turn_totp_on_from_the_account_page(client, make_account, login_as):
    account = make_account()
    member_client, user = login_as(account.user)

    page = member_client.get("/login/enrol")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.get_data(as_text=True)).group(1)
    response = member_client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 200
    db.session.refresh(user)
    assert user.totp_enabled


def test_admin_cannot_turn_totp_off(make_account, login_as):
    account = make_account("admin", totp=True)
    admin_client, user = login_as(account.user)

    response = admin_client.post("/account/totp/disable", data={"code": account.code()})

    assert response.status_code == 422
    assert "Administrators must keep two-factor authentication." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.totp_enabled
    assert unused_recovery_codes(user) == 10


def test_member_turns_totp_off_with_a_valid_code(make_account, login_as, audit_entries):
    account = make_account(totp=True)
    member_client, user = login_as(account.user)

    wrong = member_client.post("/account/totp/disable", data={"code": other_code(account.code())})
    assert wrong.status_code == 422
    assert "The code does not match." in wrong.get_data(as_text=True)
    db.session.refresh(user)
    assert user.totp_enabled

    right = member_client.post("/account/totp/disable", data={"code": account.code()})
    assert right.status_code == 302
    db.session.refresh(user)
    assert not user.totp_enabled
    assert user.totp_secret is None
    assert unused_recovery_codes(user) == 0
    [entry] = audit_entries("user.totp_disable")
    assert (entry.source, entry.actor_id) == ("web", user.id)


def test_new_recovery_codes_replace_the_old_ones(make_account, login_as):
    account = make_account(totp=True)
    member_client, user = login_as(account.user)

    response = member_client.post("/account/recovery-codes")

    codes = RECOVERY_CODE.findall(response.get_data(as_text=True))
    assert len(codes) == 10 and not set(codes) & set(account.recovery_codes)
    assert not operations.verify_second_factor(user, account.recovery_codes[1])
    assert operations.verify_second_factor(user, codes[0])


def test_logout_needs_post(make_account, login_as, logged_in_as):
    member_client, _ = login_as(make_account().user)

    assert member_client.get("/logout").status_code == 405
    assert member_client.get("/").status_code == 200

    response = member_client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert logged_in_as(member_client) is None
    assert member_client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/account", "/account"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("https://evil.example/", "/"),
    ],
)
def test_login_goes_on_only_to_pages_of_this_site(
    client, make_account, form_login, target, expected
):
    account = make_account()

    response = form_login(client, account.user.email, query_string={"next": target})

    assert response.headers["Location"] == expected
