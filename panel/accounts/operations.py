"""Every change to accounts: users, passwords, second factor, API tokens, password resets."""

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from panel.accounts import throttle, totp
from panel.accounts.models import ApiToken, PasswordResetToken, RecoveryCode, User
from panel.accounts.passwords import hash_password, password_problem, verify_password
from panel.accounts.tokens import TOKEN_PREFIX, digest, new_token
from panel.core.audit import current_actor, record, snapshot
from panel.core.errors import Conflict, NotFound, ValidationFailed
from panel.core.mail import send_mail
from panel.core.models import utcnow
from panel.core.roles import ROLE_VALUES, Role
from panel.core.timezones import clean_timezone
from panel.core.validators import clean_choice, clean_email, clean_positive_int, clean_text
from panel.extensions import db

USER_FIELDS = (
    "email",
    "display_name",
    "contact",
    "role",
    "is_enabled",
    "member_id",
    "reseller_id",
    "locale",
    "timezone",
)
CONTACT_LENGTH = 500
# update_account leaves the time zone as it is (None is a value there: the panel's).
KEEP = object()
MAX_TOKEN_DAYS = 730
# Reset links mailed to one account within the window, still unused: while there are this many,
# a further request sends none (the person has working links; nobody floods the mailbox).
OPEN_RESET_LINKS = 3
RESET_LINK_WINDOW = timedelta(minutes=15)


def _check_password(field: str, password: str) -> str:
    if not isinstance(password, str):
        raise ValidationFailed.field(field, _l("Must be text."))
    problem = password_problem(password)
    if problem:
        raise ValidationFailed.field(field, problem)
    return password


def find_user_by_email(email: str) -> User | None:
    # No address holds a NUL character, and PostgreSQL refuses to compare with one.
    if "\x00" in email:
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    email: Any,
    role: Any,
    *,
    password: str | None = None,
    display_name: Any = "",
    contact: Any = "",
    member_id: int | None = None,
    reseller: User | None = None,
    commit: bool = True,
) -> User:
    """A new login. Without a password the user sets one through the reset link."""
    email = clean_email("email", email)
    role = clean_choice("role", role, ROLE_VALUES)
    display_name = clean_text("display_name", display_name, max_length=120, required=False)
    contact = clean_contact(contact)
    if password is not None:
        _check_password("password", password)
    if role == Role.CUSTOMER and (reseller is None or reseller.role != Role.RESELLER):
        raise ValidationFailed.field("reseller", _l("A customer belongs to a reseller."))
    if find_user_by_email(email) is not None:
        raise Conflict(_l("This email address already has an account."), {"email": [_l("Taken.")]})
    user = User(
        email=email,
        role=role,
        display_name=display_name,
        contact=contact,
        password_hash=hash_password(password) if password else None,
        member_id=member_id,
        reseller_id=reseller.id if role == Role.CUSTOMER and reseller else None,
    )
    db.session.add(user)
    db.session.flush()
    record("user.create", user, after=snapshot(user, USER_FIELDS), member_id=member_id)
    if commit:
        db.session.commit()
    return user


def clean_contact(value: Any) -> str:
    return clean_text("contact", value, max_length=CONTACT_LENGTH, required=False, multiline=True)


def update_account(
    user: User, *, display_name: Any = None, locale: Any = None, timezone: Any = KEEP
) -> User:
    """Change what is given; TIMEZONE empty or None: the panel's (PANEL_TIMEZONE)."""
    before = snapshot(user, USER_FIELDS)
    if timezone is not KEEP:
        user.timezone = clean_timezone("timezone", timezone) if timezone else None
    if display_name is not None:
        user.display_name = clean_text("display_name", display_name, max_length=120, required=False)
    if locale is not None:
        user.locale = clean_choice("locale", locale, tuple(current_app.config["LANGUAGES"]))
    record(
        "user.update",
        user,
        before=before,
        after=snapshot(user, USER_FIELDS),
        member_id=user.member_id,
    )
    db.session.commit()
    return user


def set_enabled(user: User, enabled: bool) -> User:
    """Enable or disable the login (see switch_enabled)."""
    switch_enabled(user, enabled)
    db.session.commit()
    return user


def switch_enabled(user: User, enabled: bool) -> None:
    """Enable or disable the login in the current transaction. Disabling ends its sessions and
    revokes its API tokens at once (enabling again revives neither); nobody disables their own
    login."""
    if not enabled and getattr(current_actor(), "id", None) == user.id:
        raise Conflict(_l("You cannot disable your own account."))
    before = snapshot(user, USER_FIELDS)
    user.is_enabled = bool(enabled)
    user.session_version += 1
    revoked = 0 if enabled else revoke_all_tokens(user)
    record(
        "user.enable" if enabled else "user.disable",
        user,
        before=before,
        after={**snapshot(user, USER_FIELDS), "api_tokens_revoked": revoked},
        member_id=user.member_id,
    )


def revoke_all_tokens(user: User) -> int:
    """Revoke the user's API tokens that are not yet; returns how many."""
    return db.session.execute(
        ApiToken.__table__.update()
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount


def authenticate(email: str, password: str, *, delayed: bool = True) -> User | None:
    """The user with these credentials, or None; the same work is done for unknown addresses.

    Raises LoginDelayed, without looking at the password, while the address's delay after
    failed attempts runs (unless `delayed` is off: a browser that just reset the password)."""
    email = email if isinstance(email, str) else ""
    key = throttle.password_key(email)
    if delayed:
        wait = throttle.claim(key)
        if wait:
            raise throttle.password_delayed(wait)
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password or "")
    if user is None or not ok or not user.is_enabled:
        return None
    throttle.clear(key)
    db.session.commit()
    return user


def record_login(user: User, method: str) -> None:
    user.last_login_at = utcnow()
    record("user.login", user, after={"method": method}, member_id=user.member_id)
    db.session.commit()


def change_password(user: User, current: str, new: str, *, revoke_tokens: bool) -> int:
    """Set a new password, ending the user's other sessions and, if asked, revoking their API
    tokens; returns how many tokens were revoked."""
    if not verify_password(user.password_hash, current or ""):
        raise ValidationFailed.field("current_password", _l("The current password is not right."))
    _check_password("new_password", new)
    return _set_password(user, new, "user.password_change", revoke_tokens=bool(revoke_tokens))


def _set_password(user: User, password: str, action: str, *, revoke_tokens: bool) -> int:
    now = utcnow()
    user.password_hash = hash_password(password)
    # The session id carries the version: every other session of the user ends.
    user.session_version += 1
    # A new password makes every link sent for the old one worthless.
    db.session.execute(
        PasswordResetToken.__table__.update()
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    revoked = revoke_all_tokens(user) if revoke_tokens else 0
    throttle.clear(throttle.password_key(user.email), throttle.second_factor_key(user.id))
    record(action, user, after={"api_tokens_revoked": revoked}, member_id=user.member_id)
    db.session.commit()
    return revoked


def enable_totp(user: User, secret: str, code: str) -> list[str]:
    """Turn on the second factor once the user proved the app has the secret; returns
    recovery codes, shown once."""
    if user.totp_enabled:
        raise Conflict(_l("Two-factor authentication is already on."))
    step = totp.matching_step(secret, code or "")
    if step is None:
        raise ValidationFailed.field(
            "code", _l("The code does not match. Check the time on your phone.")
        )
    # The same condition as at login, and no second enrolment at the same moment.
    if not _claim_step(user, step, User.totp_enabled_at.is_(None)):
        raise ValidationFailed.field(
            "code", _l("This code was used already. Wait for the next one.")
        )
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    codes = _replace_recovery_codes(user)
    record("user.totp_enable", user, member_id=user.member_id)
    db.session.commit()
    return codes


def disable_totp(user: User, code: str) -> None:
    if user.role == Role.ADMIN:
        raise ValidationFailed.field(
            "code", _l("Administrators must keep two-factor authentication.")
        )
    if not user.totp_enabled:
        raise Conflict(_l("Two-factor authentication is not on."))
    if not verify_second_factor(user, code, commit=False):
        raise ValidationFailed.field("code", _l("The code does not match."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    _replace_recovery_codes(user, count=0)
    record("user.totp_disable", user, member_id=user.member_id)
    db.session.commit()


def regenerate_recovery_codes(user: User) -> list[str]:
    if not user.totp_enabled:
        raise Conflict(_l("Two-factor authentication is not on."))
    codes = _replace_recovery_codes(user)
    record("user.recovery_codes", user, member_id=user.member_id)
    db.session.commit()
    return codes


def _replace_recovery_codes(user: User, count: int | None = None) -> list[str]:
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes() if count is None else []
    for code in codes:
        selector, secret = totp.split_recovery_code(code)
        db.session.add(
            RecoveryCode(user_id=user.id, selector=selector, code_hash=hash_password(secret))
        )
    return codes


def verify_second_factor(user: User, code: str, *, commit: bool = True) -> bool:
    """A TOTP code of a time step after the last one used, or an unused recovery code (then
    used up). Raises LoginDelayed while the user's delay after wrong codes runs."""
    if not user.totp_enabled or not isinstance(code, str):
        return False
    key = throttle.second_factor_key(user.id)
    wait = throttle.claim(key)
    if wait:
        raise throttle.second_factor_delayed(wait)
    step = totp.matching_step(user.totp_secret or "", code)
    verified = _claim_step(user, step) if step is not None else _use_recovery_code(user, code)
    if verified:
        throttle.clear(key)
    if commit:
        db.session.commit()
    return verified


def _claim_step(user: User, step: int, *conditions) -> bool:
    """Store the step as the user's last used one, unless it or a later one is stored already.
    One conditional UPDATE: of two requests with the same code, the second finds the row
    changed (PostgreSQL re-reads it after the first commits; SQLite runs them one by one)."""
    claimed = db.session.execute(
        User.__table__.update()
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            *conditions,
        )
        .values(totp_last_step=step)
    ).rowcount
    if claimed:
        set_committed_value(user, "totp_last_step", step)
    return bool(claimed)


def _use_recovery_code(user: User, code: str) -> bool:
    parts = totp.split_recovery_code(code)
    if parts is None:
        recovery = db.session.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.selector.is_(None),
                RecoveryCode.code_hash == digest(totp.legacy_recovery_code(code)),
                RecoveryCode.used_at.is_(None),
            )
        )
    else:
        selector, secret = parts
        recovery = db.session.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.selector == selector,
                RecoveryCode.used_at.is_(None),
            )
        )
        # Hashed even without a row, so that the time does not tell which selectors exist.
        if not verify_password(recovery.code_hash if recovery else None, secret):
            return False
    if recovery is None:
        return False
    # Used once: of two requests with the same code, only one changes the row.
    used = db.session.execute(
        RecoveryCode.__table__.update()
        .where(RecoveryCode.id == recovery.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if not used:
        return False
    record("user.recovery_code_used", user, member_id=user.member_id)
    return True


def remaining_recovery_codes(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def has_legacy_recovery_codes(user: User) -> bool:
    """Whether unused recovery codes of the older, weaker kind are left (48 bits, SHA-256):
    they still work, and the user is asked to make new ones."""
    return (
        db.session.scalar(
            select(RecoveryCode.id)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.selector.is_(None),
                RecoveryCode.used_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def create_api_token(
    user: User,
    name: Any,
    *,
    expires_in_days: Any = None,
    read_only: bool = False,
    not_after: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new bearer token; the clear value is returned once and never stored. It may expire
    after some days (at most MAX_TOKEN_DAYS) and may be read-only; `not_after`: the expiry of
    the token asking for it, which the new one must not outlive."""
    name = clean_text("name", name, max_length=80)
    expires_at = None
    if expires_in_days is not None:
        days = clean_positive_int("expires_in_days", expires_in_days, maximum=MAX_TOKEN_DAYS)
        expires_at = utcnow() + timedelta(days=days)
    if not_after is not None and (expires_at is None or expires_at > not_after):
        raise ValidationFailed.field(
            "expires_in_days",
            _l(
                "A token made with an expiring token must expire by %(date)s UTC too.",
                date=not_after.strftime("%Y-%m-%d %H:%M"),
            ),
        )
    clear = new_token(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=clear[:10],
        token_hash=digest(clear),
        expires_at=expires_at,
        read_only=bool(read_only),
    )
    db.session.add(token)
    db.session.flush()
    record(
        "api_token.create",
        token,
        after={
            "name": name,
            "prefix": token.prefix,
            "read_only": token.read_only,
            "expires_at": expires_at,
        },
        member_id=user.member_id,
    )
    db.session.commit()
    return token, clear


def revoke_api_token(token: ApiToken) -> ApiToken:
    if token.revoked_at is not None:
        raise Conflict(_l("This token is already revoked."))
    token.revoked_at = utcnow()
    record(
        "api_token.revoke",
        token,
        after={"name": token.name, "prefix": token.prefix},
        member_id=token.user.member_id,
    )
    db.session.commit()
    return token


def request_password_reset(email: Any) -> None:
    """Mail a one-time link if the address has an account; say nothing either way."""
    try:
        email = clean_email("email", email)
    except ValidationFailed:
        return
    user = find_user_by_email(email)
    if user is None or not user.is_enabled:
        return
    now = utcnow()
    open_links = db.session.scalar(
        select(func.count()).where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
            PasswordResetToken.created_at > now - RESET_LINK_WINDOW,
        )
    )
    if open_links >= OPEN_RESET_LINKS:
        return
    send_password_link(user)


def send_password_link(user: User) -> None:
    """Store a one-time password link for the user and mail it; the token is committed first,
    so a mail failure (MailError) leaves nothing half done."""
    link, hours = new_password_link(user)
    mail_password_link(user, link, hours)


def new_password_link(user: User) -> tuple[str, int]:
    """Store a one-time password link for the user (only its digest is kept) and commit it;
    returns the link and how many hours it works."""
    clear = new_token()
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    reset = PasswordResetToken(
        user_id=user.id, token_hash=digest(clear), expires_at=utcnow() + timedelta(hours=hours)
    )
    db.session.add(reset)
    db.session.flush()
    record("user.password_reset_request", user, member_id=user.member_id)
    db.session.commit()
    # Built from the URL map, not url_for: the command line has no request to build it from.
    path = current_app.url_map.bind("").build("accounts.reset_password", {"token": clear})
    return current_app.config["BASE_URL"].rstrip("/") + path, hours


def mail_password_link(user: User, link: str, hours: int) -> None:
    send_mail(
        user.email,
        "Set your password / Passwort setzen",
        f"Open this link within {hours} hours to set a new password:\n"
        f"Öffne diesen Link innerhalb von {hours} Stunden, um ein neues Passwort zu setzen:\n\n"
        f"{link}\n\nIf you did not ask for it, ignore this mail.\n"
        "Wenn du das nicht angefordert hast, ignoriere diese Mail.\n",
    )


def _valid_reset(token: str) -> PasswordResetToken:
    reset = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == digest(token or ""))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise NotFound(_l("This link is not valid any more. Ask for a new one."))
    return reset


def check_reset_token(token: str) -> None:
    _valid_reset(token)


def reset_password(token: str, password: str) -> tuple[User, int]:
    """Set the password through a link: ends every session, revokes every API token and clears
    the delays after failed logins. Returns the user and how many tokens were revoked."""
    reset = _valid_reset(token)
    _check_password("password", password)
    reset.used_at = utcnow()
    user = db.session.get(User, reset.user_id)
    return user, _set_password(user, password, "user.password_reset", revoke_tokens=True)
