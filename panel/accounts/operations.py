"""Every change to accounts: users, passwords, second factor, API tokens, password resets."""

from datetime import timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from panel.accounts import totp
from panel.accounts.models import ApiToken, PasswordResetToken, RecoveryCode, User
from panel.accounts.passwords import hash_password, password_problem, verify_password
from panel.accounts.tokens import TOKEN_PREFIX, digest, new_token
from panel.core.audit import record, snapshot
from panel.core.errors import Conflict, NotFound, ValidationFailed
from panel.core.mail import send_mail
from panel.core.models import utcnow
from panel.core.roles import ROLE_VALUES, Role
from panel.core.validators import clean_choice, clean_email, clean_text
from panel.extensions import db

USER_FIELDS = ("email", "display_name", "role", "is_enabled", "member_id", "reseller_id", "locale")


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
    member_id: int | None = None,
    reseller: User | None = None,
    commit: bool = True,
) -> User:
    """A new login. Without a password the user sets one through the reset link."""
    email = clean_email("email", email)
    role = clean_choice("role", role, ROLE_VALUES)
    display_name = clean_text("display_name", display_name, max_length=120, required=False)
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


def update_account(user: User, *, display_name: Any = None, locale: Any = None) -> User:
    before = snapshot(user, USER_FIELDS)
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
    before = snapshot(user, USER_FIELDS)
    user.is_enabled = bool(enabled)
    user.session_version += 1
    record(
        "user.enable" if enabled else "user.disable",
        user,
        before=before,
        after=snapshot(user, USER_FIELDS),
        member_id=user.member_id,
    )
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user with these credentials, or None; the same work is done for unknown addresses."""
    user = find_user_by_email(email or "") if isinstance(email, str) else None
    ok = verify_password(user.password_hash if user else None, password or "")
    if user is None or not ok or not user.is_enabled:
        return None
    return user


def record_login(user: User, method: str) -> None:
    user.last_login_at = utcnow()
    record("user.login", user, after={"method": method}, member_id=user.member_id)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current or ""):
        raise ValidationFailed.field("current_password", _l("The current password is not right."))
    _set_password(user, _check_password("new_password", new), "user.password_change")


def _set_password(user: User, password: str, action: str) -> None:
    user.password_hash = hash_password(password)
    user.session_version += 1
    # A new password makes every link sent for the old one worthless.
    db.session.execute(
        PasswordResetToken.__table__.update()
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    record(action, user, member_id=user.member_id)
    db.session.commit()


def enable_totp(user: User, secret: str, code: str) -> list[str]:
    """Turn on the second factor once the user proved the app has the secret; returns
    recovery codes, shown once."""
    if user.totp_enabled:
        raise Conflict(_l("Two-factor authentication is already on."))
    if not totp.verify(secret, code or ""):
        raise ValidationFailed.field(
            "code", _l("The code does not match. Check the time on your phone.")
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
        db.session.add(
            RecoveryCode(user_id=user.id, code_hash=digest(totp.normalize_recovery_code(code)))
        )
    return codes


def verify_second_factor(user: User, code: str, *, commit: bool = True) -> bool:
    """A TOTP code, or an unused recovery code (then used up)."""
    if not user.totp_enabled or not isinstance(code, str):
        return False
    if totp.verify(user.totp_secret or "", code):
        return True
    recovery = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest(totp.normalize_recovery_code(code)),
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is None:
        return False
    recovery.used_at = utcnow()
    record("user.recovery_code_used", user, member_id=user.member_id)
    if commit:
        db.session.commit()
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


def create_api_token(user: User, name: Any) -> tuple[ApiToken, str]:
    """A new bearer token; the clear value is returned once and never stored."""
    name = clean_text("name", name, max_length=80)
    clear = new_token(TOKEN_PREFIX)
    token = ApiToken(user_id=user.id, name=name, prefix=clear[:10], token_hash=digest(clear))
    db.session.add(token)
    db.session.flush()
    record(
        "api_token.create",
        token,
        after={"name": name, "prefix": token.prefix},
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
    send_password_link(user)


def send_password_link(user: User) -> None:
    """Store a one-time password link for the user and mail it; the token is committed first,
    so a mail failure (MailError) leaves nothing half done."""
    clear = new_token()
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    reset = PasswordResetToken(
        user_id=user.id, token_hash=digest(clear), expires_at=utcnow() + timedelta(hours=hours)
    )
    db.session.add(reset)
    db.session.flush()
    record("user.password_reset_request", user, member_id=user.member_id)
    db.session.commit()
    link = current_app.config["BASE_URL"].rstrip("/") + url_for(
        "accounts.reset_password", token=clear
    )
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


def reset_password(token: str, password: str) -> User:
    reset = _valid_reset(token)
    _check_password("password", password)
    reset.used_at = utcnow()
    user = db.session.get(User, reset.user_id)
    _set_password(user, password, "user.password_reset")
    return user
