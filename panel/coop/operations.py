"""Every change to the member register and the share ledger."""

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from panel.accounts.operations import create_user
from panel.coop.models import Member, MemberKind, MemberStatus, ShareKind, ShareTransaction
from panel.core.audit import current_actor, record, snapshot
from panel.core.errors import Conflict, ValidationFailed
from panel.core.roles import Role
from panel.core.validators import (
    clean_choice,
    clean_date,
    clean_email,
    clean_positive_int,
    clean_prefix,
    clean_text,
)
from panel.extensions import db

MEMBER_FIELDS = (
    "number",
    "prefix",
    "kind",
    "name",
    "email",
    "phone",
    "street",
    "postal_code",
    "city",
    "country",
    "status",
    "applied_on",
    "admitted_on",
    "cancelled_on",
    "ended_on",
    "share_count",
)
CONTACT_LIMITS = {
    "name": 200,
    "email": 254,
    "phone": 40,
    "street": 200,
    "postal_code": 16,
    "city": 100,
    "country": 2,
}
MAX_SHARES_PER_TRANSACTION = 10_000


def share_value() -> Decimal:
    return Decimal(current_app.config["SHARE_VALUE"])


def _clean_contact(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for field, limit in CONTACT_LIMITS.items():
        if field not in data:
            continue
        value = data[field]
        if field == "email":
            clean[field] = clean_email(field, value)
        elif field == "country":
            text = clean_text(field, value, max_length=2).upper()
            if len(text) != 2 or not text.isalpha() or not text.isascii():
                raise ValidationFailed.field(field, "A two-letter country code such as DE.")
            clean[field] = text
        else:
            clean[field] = clean_text(field, value, max_length=limit, required=field == "name")
    if not partial:
        for field in ("name", "email"):
            if field not in clean:
                raise ValidationFailed.field(field, "Must not be empty.")
    return clean


def _next_number() -> str:
    highest = db.session.scalar(select(func.max(Member.number)))
    following = int(highest[2:]) + 1 if highest else 1
    return f"M-{following:05d}"


def create_member(
    *,
    name: Any,
    email: Any,
    prefix: Any,
    kind: Any = MemberKind.NATURAL.value,
    admit: bool = True,
    password: str | None = None,
    on: date | None = None,
    **contact: Any,
) -> Member:
    """A member record and its first login (role member). An admin's entry is admitted at
    once unless admit is False; an application stays `applicant` until the board admits it."""
    fields = _clean_contact({"name": name, "email": email, **contact}, partial=False)
    prefix = clean_prefix("prefix", prefix)
    kind = clean_choice("kind", kind, tuple(item.value for item in MemberKind))
    today = on or date.today()
    if db.session.scalar(select(Member.id).where(Member.prefix == prefix)) is not None:
        raise Conflict("This prefix is taken.", {"prefix": ["Taken."]})
    member = Member(
        number=_next_number(),
        prefix=prefix,
        kind=kind,
        applied_on=today,
        status=MemberStatus.APPLICANT,
        **fields,
    )
    if admit:
        member.status = MemberStatus.ACTIVE
        member.admitted_on = today
    db.session.add(member)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("The member number or prefix was taken meanwhile; try again.") from exc
    record("member.create", member, after=snapshot(member, MEMBER_FIELDS), member_id=member.id)
    create_user(
        fields["email"],
        Role.MEMBER,
        password=password,
        display_name=fields["name"],
        member_id=member.id,
        commit=False,
    )
    db.session.commit()
    return member


def update_member(member: Member, data: dict[str, Any]) -> Member:
    """Change contact data; number, prefix, status and shares have their own operations."""
    unknown = set(data) - set(CONTACT_LIMITS)
    if unknown:
        raise ValidationFailed(
            "Unknown fields.", {name: ["Unknown field."] for name in sorted(unknown)}
        )
    before = snapshot(member, MEMBER_FIELDS)
    for field, value in _clean_contact(data, partial=True).items():
        setattr(member, field, value)
    record(
        "member.update",
        member,
        before=before,
        after=snapshot(member, MEMBER_FIELDS),
        member_id=member.id,
    )
    db.session.commit()
    return member


def _change_status(
    member: Member, action: str, allowed_from: tuple[str, ...], to: str, date_field: str, on: Any
) -> Member:
    if member.status not in allowed_from:
        raise Conflict(f"A member in status {member.status} cannot be {to} now.")
    day = clean_date(date_field, on if on is not None else date.today())
    before = snapshot(member, MEMBER_FIELDS)
    member.status = to
    setattr(member, date_field, day)
    record(
        action, member, before=before, after=snapshot(member, MEMBER_FIELDS), member_id=member.id
    )
    db.session.commit()
    return member


def admit_member(member: Member, on: Any = None) -> Member:
    return _change_status(
        member, "member.admit", (MemberStatus.APPLICANT,), MemberStatus.ACTIVE, "admitted_on", on
    )


def cancel_membership(member: Member, on: Any = None) -> Member:
    return _change_status(
        member, "member.cancel", (MemberStatus.ACTIVE,), MemberStatus.CANCELLED, "cancelled_on", on
    )


def end_membership(member: Member, on: Any = None) -> Member:
    if member.share_count:
        raise Conflict("Shares must be cancelled and paid out before the membership ends.")
    return _change_status(
        member,
        "member.end",
        (MemberStatus.APPLICANT, MemberStatus.CANCELLED),
        MemberStatus.ENDED,
        "ended_on",
        on,
    )


def record_share_transaction(
    member: Member, kind: Any, count: Any, value_date: Any, note: Any = ""
) -> ShareTransaction:
    """A subscription or cancellation of `count` shares (a positive number either way)."""
    kind = clean_choice("kind", kind, (ShareKind.SUBSCRIPTION.value, ShareKind.CANCELLATION.value))
    count = clean_positive_int("count", count, maximum=MAX_SHARES_PER_TRANSACTION)
    value_date = clean_date("value_date", value_date)
    note = clean_text("note", note, max_length=500, required=False, multiline=True)
    if member.status == MemberStatus.ENDED:
        raise Conflict("This membership has ended.")
    if kind == ShareKind.SUBSCRIPTION and member.status == MemberStatus.CANCELLED:
        raise Conflict("A cancelled membership takes no new shares.")
    signed = count if kind == ShareKind.SUBSCRIPTION else -count
    if member.share_count + signed < 0:
        raise ValidationFailed.field("count", f"The member holds only {member.share_count} shares.")
    return _append(
        member,
        ShareTransaction(
            member_id=member.id, kind=kind, count=signed, value_date=value_date, note=note
        ),
    )


def reverse_share_transaction(
    transaction: ShareTransaction, value_date: Any = None, note: Any = ""
) -> ShareTransaction:
    """Undo a booking by a counter-booking; the ledger itself is never edited."""
    if transaction.kind == ShareKind.REVERSAL:
        raise Conflict("A reversal cannot be reversed; book the transaction again.")
    if db.session.scalar(
        select(ShareTransaction.id).where(ShareTransaction.reverses_id == transaction.id)
    ):
        raise Conflict("This transaction is already reversed.")
    member = transaction.member
    if member.share_count - transaction.count < 0:
        raise ValidationFailed.field("count", "Reversing this would leave a negative total.")
    return _append(
        member,
        ShareTransaction(
            member_id=member.id,
            kind=ShareKind.REVERSAL,
            count=-transaction.count,
            value_date=clean_date("value_date", value_date or date.today()),
            reverses_id=transaction.id,
            note=clean_text("note", note, max_length=500, required=False, multiline=True),
        ),
    )


def _append(member: Member, transaction: ShareTransaction) -> ShareTransaction:
    before = member.share_count
    actor = current_actor()
    transaction.created_by_id = getattr(actor, "id", None)
    db.session.add(transaction)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # The database's check is the last word, e.g. when two bookings raced.
        db.session.rollback()
        raise ValidationFailed.field("count", "The share total cannot go negative.") from exc
    db.session.refresh(member)
    record(
        f"share.{transaction.kind}",
        transaction,
        before={"share_count": before},
        after={
            "share_count": member.share_count,
            "count": transaction.count,
            "value_date": transaction.value_date,
        },
        member_id=member.id,
    )
    db.session.commit()
    return transaction


def register_csv(members: list[Member]) -> str:
    """The member register as CSV (semicolon-separated, as German spreadsheets expect)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    value = share_value()
    writer.writerow([*MEMBER_FIELDS, "share_value_eur"])
    for member in members:
        row = [getattr(member, field) for field in MEMBER_FIELDS]
        writer.writerow([_csv_safe(item) for item in row] + [f"{member.share_count * value:.2f}"])
    return buffer.getvalue()


def _csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    # A leading =, +, - or @ would make a spreadsheet run the cell as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
