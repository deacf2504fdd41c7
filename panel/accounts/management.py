"""Accounts kept for someone else: admins keep every account, a reseller its customers'. The
person sets their own password (through a one-time link) and second factor."""

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from panel.accounts import operations
from panel.accounts.models import RecoveryCode, User
from panel.core.audit import record, snapshot
from panel.core.errors import MAX_ID, Conflict, Forbidden, ValidationFailed
from panel.core.mail import MailError
from panel.core.roles import ROLE_VALUES, Role
from panel.core.validators import clean_choice, clean_email, clean_text
from panel.extensions import db

# The roles an admin swaps; the others belong to how an account was made (customers to their
# reseller, admins to the office).
SWAPPABLE_ROLES = (Role.MEMBER.value, Role.RESELLER.value)


@dataclass(frozen=True)
class PasswordLink:
    """How the person gets to set a password: the link to show once (no mail server
    configured), or mailed; neither when the mail server refused (ask for another)."""

    link: str | None
    mailed: bool


def find_reseller(value: Any) -> User:
    """The reseller an id (API) or a login address (pages, CLI) names."""
    wrong = ValidationFailed.field("reseller", _l("Not a reseller's account."))
    if isinstance(value, bool):
        raise wrong
    if isinstance(value, int):
        reseller = db.session.get(User, value) if 0 < value <= MAX_ID else None
    elif isinstance(value, str) and value.strip():
        reseller = operations.find_user_by_email(value)
    else:
        raise ValidationFailed.field("reseller", _l("Name the reseller the customer belongs to."))
    if reseller is None or reseller.role != Role.RESELLER:
        raise wrong
    return reseller


def create_account(
    manager: User | None,
    email: Any,
    role: Any,
    *,
    display_name: Any = "",
    contact: Any = "",
    password: str | None = None,
    reseller: Any = None,
) -> tuple[User, PasswordLink | None]:
    """A new account made by a MANAGER: an admin or the office's command line (None) any role,
    a customer naming its reseller; a reseller its own customers only. Without a password, the
    person gets a link to set one."""
    role = clean_choice("role", role, ROLE_VALUES)
    if manager is not None and manager.role == Role.RESELLER:
        if role != Role.CUSTOMER:
            message = _l("A reseller creates customer accounts only.")
            raise Forbidden(message, {"role": [message]})
        if reseller not in (None, "", manager.id, manager.email):
            raise ValidationFailed.field("reseller", _l("Only admins name the reseller."))
        owner = manager
    else:
        owner = find_reseller(reseller) if role == Role.CUSTOMER else None
        if role != Role.CUSTOMER and reseller not in (None, ""):
            raise ValidationFailed.field("reseller", _l("Only a customer has a reseller."))
    user = operations.create_user(
        email,
        role,
        password=password,
        display_name=display_name,
        contact=contact,
        reseller=owner,
    )
    return user, None if password else offer_password_link(user)


def offer_password_link(user: User) -> PasswordLink:
    """A one-time link for the person to set a password: mailed when a mail server is
    configured, otherwise returned to be shown once."""
    link, hours = operations.new_password_link(user)
    if not current_app.config.get("SMTP_URL"):
        return PasswordLink(link=link, mailed=False)
    try:
        operations.mail_password_link(user, link, hours)
    except MailError as exc:
        current_app.logger.warning("password link for user %s not sent: %s", user.id, exc)
        return PasswordLink(link=None, mailed=False)
    return PasswordLink(link=None, mailed=True)


def edit_account(account: User, data: dict) -> User:
    """Change what DATA names, all or nothing: the login address, name and contact; the role
    (member or reseller, see change_role); whether it is disabled."""
    changes = {}
    if "email" in data:
        changes["email"] = clean_email("email", data["email"])
        taken = operations.find_user_by_email(changes["email"])
        if taken is not None and taken.id != account.id:
            raise Conflict(
                _l("This email address already has an account."), {"email": [_l("Taken.")]}
            )
    if "display_name" in data:
        changes["display_name"] = clean_text(
            "display_name", data["display_name"], max_length=120, required=False
        )
    if "contact" in data:
        changes["contact"] = operations.clean_contact(data["contact"])
    role = _new_role(account, data["role"]) if "role" in data else account.role
    enabled = not data["disabled"] if "disabled" in data else account.is_enabled
    before = snapshot(account, operations.USER_FIELDS)
    for name, value in changes.items():
        setattr(account, name, value)
    if changes:
        record(
            "user.update",
            account,
            before=before,
            after=snapshot(account, operations.USER_FIELDS),
            member_id=account.member_id,
        )
    if role != account.role:
        account.role = role
        record(
            "user.role",
            account,
            before={"role": before["role"]},
            after={"role": role},
            member_id=account.member_id,
        )
    if enabled != account.is_enabled:
        operations.switch_enabled(account, enabled)
    db.session.commit()
    return account


def change_role(account: User, role: Any) -> User:
    """Make a member a reseller or a reseller a member again (not while it has customers)."""
    return edit_account(account, {"role": role})


def _new_role(account: User, role: Any) -> str:
    role = clean_choice("role", role, SWAPPABLE_ROLES)
    if role != account.role and account.role not in SWAPPABLE_ROLES:
        message = _l("Only a member's or a reseller's role can be changed.")
        raise ValidationFailed(message, {"role": [message]})
    if role != account.role and account.role == Role.RESELLER and has_customers(account):
        message = _l(
            "This reseller still has customers: delete them or move them to another reseller first."
        )
        raise Conflict(message, {"role": [message]})
    return role


def has_customers(account: User) -> bool:
    return bool(db.session.scalar(select(exists().where(User.reseller_id == account.id))))


def reset_second_factor(account: User) -> User:
    """Turn off the account's second factor and its recovery codes, and end its sessions: the
    person sets it up again (an admin must, at the next login)."""
    if not account.totp_enabled:
        raise Conflict(_l("Two-factor authentication is not on."))
    account.totp_secret = None
    account.totp_enabled_at = None
    account.totp_last_step = None
    account.session_version += 1
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == account.id))
    record("user.totp_reset", account, member_id=account.member_id)
    db.session.commit()
    return account


def delete_account(account: User) -> User:
    """Delete a customer's account; other accounts are disabled instead, since members' and the
    office's logins are named in the books."""
    if account.role != Role.CUSTOMER:
        raise Conflict(_l("Only customer accounts can be deleted; disable the others."))
    record(
        "user.delete",
        account,
        before=snapshot(account, operations.USER_FIELDS),
        member_id=account.reseller.member_id if account.reseller else None,
    )
    db.session.delete(account)
    db.session.commit()
    return account
