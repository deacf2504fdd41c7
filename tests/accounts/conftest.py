"""Fixtures of the account tests: accounts with a known password and second factor, form
logins, CSRF switched on. (The real SMTP server on the loopback interface is in
tests/smtp_support.py, for every test.)"""

import re
import uuid
from dataclasses import dataclass, field

import pyotp
import pytest
from sqlalchemy import select

from panel.accounts import operations
from panel.accounts.models import User
from panel.accounts.totp import new_secret
from panel.core.audit import AuditEntry, acting
from panel.extensions import db

PASSWORD = "a long and secret passphrase"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Account:
    user: User
    password: str = PASSWORD
    secret: str | None = None
    recovery_codes: list[str] = field(default_factory=list)

    def code(self) -> str:
        """The current code of the authenticator app."""
        assert self.secret is not None
        return pyotp.TOTP(self.secret).now()


@pytest.fixture
def make_account(make_member):
    """A user of the role with PASSWORD (hashed once: argon2 is slow on purpose), optionally
    with the second factor on."""

    def make(role: str = "member", *, totp: bool = False, email: str | None = None) -> Account:
        if role == "admin":
            with acting("cli"):
                user = operations.create_user(
                    email or f"admin-{uuid.uuid4().hex[:8]}@example.org", role, password=PASSWORD
                )
        else:
            fields = {"email": email} if email else {}
            user = make_member(password=PASSWORD, **fields).users[0]
        account = Account(user)
        if totp:
            account.secret = new_secret()
            with acting("cli"):
                account.recovery_codes = operations.enable_totp(
                    user, account.secret, account.code()
                )
            # As if enabled a time step earlier: the test's first code of this step is fresh.
            user.totp_last_step -= 1
            db.session.commit()
        return account

    return make


@pytest.fixture
def form_login():
    """POST the login form; returns the response (not followed)."""

    def post(client, email: str, password: str = PASSWORD, **kwargs):
        return client.post("/login", data={"email": email, "password": password}, **kwargs)

    return post


def session_user_id(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


@pytest.fixture
def logged_in_as():
    """The flask-login user id this client's session carries, or None."""
    return session_user_id


@pytest.fixture
def csrf_enabled(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def csrf_token():
    """The CSRF token of a page the client fetches."""

    def token(client, path: str = "/login") -> str:
        match = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    return token


@pytest.fixture
def audit_entries():
    def entries(action: str) -> list[AuditEntry]:
        return list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )

    return entries
