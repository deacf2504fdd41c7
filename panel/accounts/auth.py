"""Login sessions: loading the user, the two steps of a login, and rate-limit keys."""

from flask import Flask, current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user

from panel.accounts.models import User
from panel.extensions import db, login_manager

PENDING_KEY = "pending_login"


def init_login(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    identifier, _, version = user_id.partition(":")
    if not identifier.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(identifier))
    if user is None or user.session_version != int(version) or not user.is_enabled:
        return None
    return user


def start_login(user: User) -> None:
    """The password was right; the second step (code or enrolment) comes next."""
    session.clear()
    session[PENDING_KEY] = user.get_id()


def pending_user() -> User | None:
    value = session.get(PENDING_KEY)
    return load_user(value) if isinstance(value, str) else None


def finish_login(user: User, remember: bool = False) -> None:
    from panel.accounts.operations import record_login

    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user, remember=remember)
    record_login(user, "password+totp" if user.totp_enabled else "password")


def needs_enrolment(user: User) -> bool:
    return user.is_admin and not user.totp_enabled


def login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def account_key() -> str:
    """Rate-limit key for the account a login attempt is about."""
    email = request.form.get("email", "")
    if email:
        return "account:" + email.strip().lower()[:254]
    return "account:" + str(session.get(PENDING_KEY, "none"))
