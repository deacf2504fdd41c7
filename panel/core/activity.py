"""A member's activity: audit entries told as sentences in the reader's language ("You added
the domain bäckerei-müller.de", "The office suspended your webspace w1234"), without the
internals (worker ids, job ids, raw values) that admins read in the audit log."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import idna
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.core.audit import AuditEntry
from panel.core.models import Base
from panel.core.roles import Role
from panel.extensions import db

# What a person did: (said to the person who did it, said of someone else as %(who)s).
DONE = {
    "webspace.create": (
        _l("You created the webspace %(name)s."),
        _l("%(who)s created the webspace %(name)s for you."),
    ),
    "webspace.delete": (
        _l("You deleted the webspace %(name)s."),
        _l("%(who)s deleted your webspace %(name)s."),
    ),
    "webspace.restore": (
        _l("You restored the webspace %(name)s."),
        _l("%(who)s restored your webspace %(name)s."),
    ),
    "webspace.suspend": (
        _l("You suspended the webspace %(name)s."),
        _l("%(who)s suspended your webspace %(name)s."),
    ),
    "webspace.unsuspend": (
        _l("You lifted the suspension of the webspace %(name)s."),
        _l("%(who)s lifted the suspension of your webspace %(name)s."),
    ),
    "webspace.purge": (
        _l("You removed the webspace %(name)s for good."),
        _l("%(who)s removed your webspace %(name)s for good."),
    ),
    "webspace.limits": (
        _l("You changed the plan of the webspace %(name)s."),
        _l("%(who)s changed the plan of your webspace %(name)s."),
    ),
    "webspace.customer": (
        _l("You named the customer the webspace %(name)s serves."),
        _l("%(who)s named the customer your webspace %(name)s serves."),
    ),
    "domain.create": (
        _l("You added the domain %(name)s."),
        _l("%(who)s added the domain %(name)s."),
    ),
    "domain.delete": (
        _l("You removed the domain %(name)s."),
        _l("%(who)s removed the domain %(name)s."),
    ),
    "domain.verify": (
        _l("You verified the domain %(name)s."),
        _l("%(who)s verified the domain %(name)s."),
    ),
    "domain.update": (
        _l("You changed the domain %(name)s."),
        _l("%(who)s changed the domain %(name)s."),
    ),
    "database.create": (
        _l("You created the database %(name)s."),
        _l("%(who)s created the database %(name)s."),
    ),
    "database.delete": (
        _l("You deleted the database %(name)s."),
        _l("%(who)s deleted the database %(name)s."),
    ),
    "database.restore": (
        _l("You restored the database %(name)s."),
        _l("%(who)s restored the database %(name)s."),
    ),
    "sftp_user.create": (
        _l("You added the SFTP user %(name)s."),
        _l("%(who)s added the SFTP user %(name)s."),
    ),
    "sftp_user.update": (
        _l("You changed the SFTP user %(name)s."),
        _l("%(who)s changed the SFTP user %(name)s."),
    ),
    "sftp_user.delete": (
        _l("You removed the SFTP user %(name)s."),
        _l("%(who)s removed the SFTP user %(name)s."),
    ),
    "room.create": (
        _l("You created the video room %(name)s."),
        _l("%(who)s created the video room %(name)s."),
    ),
    "room.update": (
        _l("You changed the video room %(name)s."),
        _l("%(who)s changed the video room %(name)s."),
    ),
    "room.delete": (
        _l("You removed the video room %(name)s."),
        _l("%(who)s removed the video room %(name)s."),
    ),
    "api_token.create": (
        _l("You created the API token %(name)s."),
        _l("%(who)s created the API token %(name)s."),
    ),
    "api_token.revoke": (
        _l("You revoked the API token %(name)s."),
        _l("%(who)s revoked the API token %(name)s."),
    ),
    "user.login": (_l("You logged in."), _l("%(who)s logged in.")),
    "user.update": (
        _l("You changed your account details."),
        _l("%(who)s changed your account details."),
    ),
    "user.password_change": (
        _l("You changed your password."),
        _l("%(who)s changed your password."),
    ),
    "user.password_reset": (
        _l("You set a new password with a reset link."),
        _l("%(who)s set a new password with a reset link."),
    ),
    "user.totp_enable": (
        _l("You turned on two-factor authentication."),
        _l("%(who)s turned on two-factor authentication."),
    ),
    "user.totp_disable": (
        _l("You turned off two-factor authentication."),
        _l("%(who)s turned off two-factor authentication."),
    ),
    "user.totp_reset": (
        _l("You reset two-factor authentication."),
        _l("%(who)s reset your two-factor authentication."),
    ),
    "user.create": (_l("You created a login."), _l("%(who)s created your login.")),
    "member.create": (
        _l("You registered the member %(name)s."),
        _l("%(who)s registered you as a member."),
    ),
    "share.subscription": (
        _l("You booked shares for %(name)s."),
        _l("%(who)s booked shares for you."),
    ),
    "share.cancellation": (
        _l("You booked the cancellation of shares for %(name)s."),
        _l("%(who)s booked the cancellation of shares for you."),
    ),
    "share.reversal": (
        _l("You reversed a share booking of %(name)s."),
        _l("%(who)s reversed one of your share bookings."),
    ),
    "share.notice": (
        _l("You gave notice on shares."),
        _l("%(who)s recorded a notice on your shares."),
    ),
    "share.notice_withdraw": (
        _l("You withdrew a notice on shares."),
        _l("%(who)s withdrew a notice on your shares."),
    ),
    "share.notice_settle": (
        _l("You settled a notice on shares."),
        _l("%(who)s booked out the shares of your notice."),
    ),
    "share.payout": (
        _l("You recorded a payout of shares."),
        _l("%(who)s recorded the payout of your shares."),
    ),
    "share.payout_paid": (
        _l("You marked a payout of shares paid."),
        _l("%(who)s paid out your shares."),
    ),
    "member.notice": (
        _l("You gave notice of the membership %(name)s."),
        _l("%(who)s gave notice of your membership."),
    ),
    "billing.bank_account.add": (
        _l("You added a bank account."),
        _l("%(who)s added a bank account for you."),
    ),
    "billing.bank_account.remove": (
        _l("You removed a bank account."),
        _l("%(who)s removed one of your bank accounts."),
    ),
    "member.update": (
        _l("You changed your contact data."),
        _l("%(who)s changed your contact data."),
    ),
    "member.admit": (
        _l("You admitted the member %(name)s."),
        _l("%(who)s admitted you as a member."),
    ),
    "member.cancel": (
        _l("You recorded the cancellation of the membership of %(name)s."),
        _l("%(who)s recorded the cancellation of your membership."),
    ),
    "member.end": (
        _l("You ended the membership of %(name)s."),
        _l("%(who)s ended your membership."),
    ),
    "member.export": (
        _l("You downloaded all data of %(name)s."),
        _l("%(who)s downloaded all your data."),
    ),
    "billing.issue": (
        _l("You issued the invoice %(name)s."),
        _l("%(who)s issued your invoice %(name)s."),
    ),
    "billing.mandate.create": (
        _l("You gave a direct-debit mandate."),
        _l("%(who)s recorded a direct-debit mandate for you."),
    ),
    "billing.mandate.revoke": (
        _l("You revoked a direct-debit mandate."),
        _l("%(who)s revoked your direct-debit mandate."),
    ),
}

# What the panel's work came to: "<kind>.<state>" as the worker records it.
SETTLED = {
    "webspace.active": _l("Your webspace %(name)s is ready."),
    "webspace.failed": _l("A change to your webspace %(name)s did not succeed."),
    "webspace.suspended": _l("Your webspace %(name)s is suspended."),
    "webspace.deleted": _l("Your webspace %(name)s is deleted."),
    "domain.active": _l("The domain %(name)s is live."),
    "domain.failed": _l("A change to the domain %(name)s did not succeed."),
    "domain.deleted": _l("The domain %(name)s is removed."),
    "database.active": _l("The database %(name)s is ready."),
    "database.failed": _l("A change to the database %(name)s did not succeed."),
    "database.deleted": _l("The database %(name)s is deleted."),
    "sftp_user.active": _l("The SFTP user %(name)s can log in."),
    "sftp_user.failed": _l("A change to the SFTP user %(name)s did not succeed."),
    "sftp_user.deleted": _l("The SFTP user %(name)s is removed."),
    "job.create": _l("Work on the servers was queued."),
    "job.running": _l("Work on the servers began."),
    "job.successful": _l("Work on the servers finished."),
    "job.failed": _l("Work on the servers did not succeed."),
    "job.lost": _l("Work on the servers did not succeed."),
    "job.canceled": _l("Work on the servers was cancelled."),
    "job.cancel": _l("Work on the servers was cancelled."),
    "job.retry": _l("Work on the servers was tried again."),
}

# The attributes that name an object for people, in order of preference.
NAMING = ("name", "number", "hostname", "reference")


@dataclass(frozen=True)
class Activity:
    at: datetime
    sentence: str


def activity(entries: Iterable[AuditEntry], reader) -> list[Activity]:
    """The entries as sentences for READER, in the given order."""
    entries = list(entries)
    names = _names(entries)
    return [
        Activity(entry.at, _sentence(entry, reader, names.get(_key(entry)))) for entry in entries
    ]


def _key(entry: AuditEntry) -> tuple[str, str]:
    return entry.object_type, entry.object_id


def _sentence(entry: AuditEntry, reader, name: str | None) -> str:
    values = {"name": name or "—"}
    settled = SETTLED.get(entry.action)
    if settled is not None:
        return settled % values
    mine = entry.actor_id is not None and entry.actor_id == reader.id
    said = DONE.get(entry.action)
    if said is not None:
        return said[0] % values if mine else said[1] % {**values, "who": _who(entry)}
    if mine:
        return _("You made a change to %(name)s.", name=name) if name else _("You made a change.")
    if name:
        return _("%(who)s made a change to %(name)s.", who=_who(entry), name=name)
    return _("%(who)s made a change.", who=_who(entry))


def _who(entry: AuditEntry) -> str:
    actor = entry.actor
    if actor is None:
        return _("The panel")
    if actor.role == Role.ADMIN:
        return _("The office")
    return actor.display_name or actor.email


def _names(entries: list[AuditEntry]) -> dict[tuple[str, str], str]:
    """The name of each entry's object: from what the entry recorded, else from the object
    itself (one query per kind); domains in the form people write them."""
    names: dict[tuple[str, str], str] = {}
    missing: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        recorded = (entry.after or {}).get("name") or (entry.before or {}).get("name")
        key = _key(entry)
        if isinstance(recorded, str) and recorded:
            names[key] = recorded
        elif entry.object_id.isdigit():
            missing[entry.object_type].add(entry.object_id)
    for kind, ids in missing.items():
        model = _model(kind)
        if model is None:
            continue
        for obj in db.session.scalars(select(model).where(model.id.in_([int(i) for i in ids]))):
            name = next((getattr(obj, attr) for attr in NAMING if getattr(obj, attr, None)), None)
            if name:
                names[(kind, str(obj.id))] = str(name)
    for (kind, object_id), name in names.items():
        if kind == "Domain":
            names[(kind, object_id)] = _display_domain(name)
    return names


def _model(class_name: str):
    for mapper in Base.registry.mappers:
        if mapper.class_.__name__ == class_name and "id" in mapper.columns:
            return mapper.class_
    return None


def _display_domain(ascii_name: str) -> str:
    try:
        return idna.decode(ascii_name)
    except (idna.IDNAError, UnicodeError):
        return ascii_name
