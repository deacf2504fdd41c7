"""Login sessions: loading the user, the two steps of a login, and rate-limit keys."""

from flask import Flask, current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from panel.accounts.models import User
from panel.accounts.tokens import digest
from panel.extensions import db, login_manager

PENDING_KEY = "pending_login"
# Views whose rate limit per account is keyed by the email address in the form.
EMAIL_KEYED = ("accounts.login", "accounts.forgot_password")


def init_login(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    # Flask-Login cannot decide per request like the session cookie does; the public URL tells.
    app.config.setdefault(
        "REMEMBER_COOKIE_SECURE", str(app.config.get("BASE_URL", "")).startswith("https://")
    )


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    identifier, _, version = user_id.partition(":")
    if not identifier.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(identifier))
    if user is None or user.session_version != int(version) or not user.is_enabled:
        return None
    return user


def clear_session_keeping_language() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def start_login(user: User) -> None:
    """The password was right; the second step (code or enrolment) comes next."""
    clear_session_keeping_language()
    session[PENDING_KEY] = user.get_id()


def pending_user() -> User | None:
    value = session.get(PENDING_KEY)
    return load_user(value) if isinstance(value, str) else None


def renew_session(user: User, remember: bool = False) -> None:
    """A fresh session for the user, keeping only the chosen language."""
    clear_session_keeping_language()
    login_user(user, remember=remember)


def finish_login(user: User, remember: bool = False) -> None:
    from panel.accounts.operations import record_login

    renew_session(user, remember=remember)
    record_login(user, "password+totp" if user.totp_enabled else "password")


def has_remember_cookie() -> bool:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


def needs_enrolment(user: User) -> bool:
    return user.is_admin and not user.totp_enabled


def login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def account_key() -> str:
    """Rate-limit key for the account a login step is about.

    Only the login and forgot forms name the account by email; the later steps take it from the
    session (or the reset link), so that a made-up email field cannot open a fresh budget."""
    if request.endpoint in EMAIL_KEYED:
        return "email:" + request.form.get("email", "").strip().lower()[:254]
    if request.endpoint == "accounts.reset_password":
        return "reset:" + digest(str((request.view_args or {}).get("token", "")))
    if current_user.is_authenticated:
        return "user:" + str(current_user.id)
    pending = session.get(PENDING_KEY)
    return "user:" + (pending.partition(":")[0] if isinstance(pending, str) else "none")
