"""Login sessions: loading the user, the two steps of a login, the rate limit per address."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_user

from panel.accounts.models import User
from panel.accounts.operations import record_login
from panel.core.models import utcnow
from panel.extensions import db, login_manager

PENDING_KEY = "pending_login"
RESET_GRANT_KEY = "login_after_reset"


def init_login(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.after_request(send_live_parts_to_the_login)
    # Flask-Login cannot decide per request like the session cookie does; the public URL tells.
    app.config.setdefault(
        "REMEMBER_COOKIE_SECURE", str(app.config.get("BASE_URL", "")).startswith("https://")
    )


def send_live_parts_to_the_login(response: Response) -> Response:
    """A live part of a page (htmx) asked for after the session ended would get the login form
    put into it; the whole page goes to the login instead, and comes back there afterwards."""
    login = url_for("accounts.login")
    if request.headers.get("HX-Request") != "true" or not response.location:
        return response
    if urlsplit(response.location).path != login:
        return response
    page = urlsplit(request.headers.get("HX-Current-URL", ""))
    target = url_for("accounts.login", next=page.path or "/")
    redirect = Response(status=204)
    redirect.headers["HX-Redirect"] = target
    return redirect


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
    renew_session(user, remember=remember)
    record_login(user, "password+totp" if user.totp_enabled else "password")


def has_remember_cookie() -> bool:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


def needs_enrolment(user: User) -> bool:
    return user.is_admin and not user.totp_enabled


def login_limit() -> str:
    """The limit per address; accounts get growing delays instead (panel.accounts.throttle)."""
    return current_app.config["LOGIN_LIMIT"]


def allow_login_after_reset(user: User) -> None:
    """This browser just set the user's password through a reset link: its next login to the
    account skips the delay that failed attempts (maybe someone else's) have built up."""
    until = utcnow() + timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"])
    session[RESET_GRANT_KEY] = {"email": user.email.lower(), "until": until.timestamp()}


def login_after_reset(email: str) -> bool:
    """Whether this browser may log in to the account at this address without its delay."""
    grant = session.get(RESET_GRANT_KEY)
    return (
        isinstance(grant, dict)
        and isinstance(email, str)
        and grant.get("email") == email.strip().lower()
        and isinstance(grant.get("until"), int | float)
        and grant["until"] > utcnow().timestamp()
    )
