"""Every change to notifications: make them (stored at once, mailed after the commit that
stores them), read them, and switch the mail of a kind on or off."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select, update

from panel.accounts.models import User
from panel.core.audit import record
from panel.core.mail import MailError, send_mail
from panel.core.models import utcnow
from panel.core.roles import MEMBER_ROLES, Role
from panel.extensions import db
from panel.notifications.kinds import Kind, kinds_for
from panel.notifications.models import MutedKind, Notification

log = logging.getLogger(__name__)
AFTER_COMMIT = "panel.mails_after_commit"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def notify(
    kind: Kind, users: Iterable[User], subject, body, link: str = "", *, once: bool = False
) -> list[Notification]:
    """A notification of KIND for each enabled user, SUBJECT and BODY (lazy strings) in the
    user's language; mailed once the caller commits, to those who have the kind switched on.
    ONCE: not for a user who still has an unread one of the kind about the same LINK."""
    made = []
    for user in users:
        if not user.is_enabled or (once and _unread_exists(user, kind, link)):
            continue
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            notification = Notification(
                user_id=user.id,
                kind=kind,
                subject=str(subject)[:200],
                body=str(body),
                link=link[:500],
            )
        db.session.add(notification)
        made.append(notification)
        if current_app.config.get("SMTP_URL") and not muted(user, kind):
            text = notification.body
            if link:
                text += f"\n\n{current_app.config['BASE_URL'].rstrip('/')}{link}"
            mail = Mail(user.email, notification.subject, text)
            db.session.info.setdefault(AFTER_COMMIT, []).append(mail)
    return made


def notify_admins(kind: Kind, subject, body, link: str = "", *, once: bool = False) -> None:
    admins = db.session.scalars(select(User).where(User.role == Role.ADMIN).order_by(User.id))
    notify(kind, admins, subject, body, link, once=once)


def notify_member(kind: Kind, member_id: int | None, subject, body, link: str = "") -> None:
    """Notify the member's own accounts (not a reseller's customers)."""
    if member_id is None:
        return
    users = db.session.scalars(
        select(User)
        .where(User.member_id == member_id, User.role.in_(MEMBER_ROLES))
        .order_by(User.id)
    )
    notify(kind, users, subject, body, link)


def _unread_exists(user: User, kind: Kind, link: str) -> bool:
    return (
        db.session.scalar(
            select(Notification.id).where(
                Notification.user_id == user.id,
                Notification.kind == kind,
                Notification.link == link,
                Notification.read_at.is_(None),
            )
        )
        is not None
    )


def muted(user: User, kind: Kind) -> bool:
    return db.session.get(MutedKind, (user.id, str(kind))) is not None


def send_committed(session) -> None:
    """The session's after_commit: mail what notify() held back. A mail that fails is logged;
    the notification stays in the panel, and the change that caused it stands."""
    for mail in session.info.pop(AFTER_COMMIT, []):
        try:
            send_mail(mail.to, mail.subject, mail.body)
        except MailError as exc:
            log.warning("notification mail to %s failed: %s", mail.to, exc)


def forget_uncommitted(session) -> None:
    """The session's after_rollback: nothing is mailed about what was rolled back."""
    session.info.pop(AFTER_COMMIT, None)


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def mark_read(notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = utcnow()
        record("notification.read", notification, after={"kind": notification.kind})
        db.session.commit()
    return notification


def mark_all_read(user: User) -> int:
    marked = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount
    record("notification.read_all", user, after={"marked": marked})
    db.session.commit()
    return marked


def mailed_kinds(user: User) -> set[str]:
    """The kinds the user gets mail of."""
    silenced = set(db.session.scalars(select(MutedKind.kind).where(MutedKind.user_id == user.id)))
    return {str(kind) for kind in kinds_for(user.role)} - silenced


def set_mailed_kinds(user: User, wanted: Iterable[str]) -> set[str]:
    """Mail the user the WANTED kinds of those of its role, none of the others."""
    before = mailed_kinds(user)
    offered = {str(kind) for kind in kinds_for(user.role)}
    chosen = offered & set(wanted)
    for kind in offered:
        row = db.session.get(MutedKind, (user.id, kind))
        if kind in chosen and row is not None:
            db.session.delete(row)
        elif kind not in chosen and row is None:
            db.session.add(MutedKind(user_id=user.id, kind=kind))
    record(
        "notification.settings",
        user,
        before={"mailed": sorted(before)},
        after={"mailed": sorted(chosen)},
    )
    db.session.commit()
    return chosen
