"""Every change to the member register and the share ledger."""

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from panel.accounts.operations import create_user, find_user_by_email
from panel.coop.models import Member, MemberKind, MemberStatus, ShareKind, ShareTransaction
from panel.core.audit import current_actor, record, snapshot
from panel.core.errors import Conflict, Forbidden, PanelError, ValidationFailed
from panel.core.money import to_money
from panel.core.roles import Role
from panel.core.validators import (
    clean_choice,
    clean_date,
    clean_email,
    clean_positive_int,
    clean_prefix,
    clean_text,
    reject_unknown,
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
    "vat_id",
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
    "vat_id": 20,
}
MAX_SHARES_PER_TRANSACTION = 10_000


def share_value() -> Decimal:
    """The value of one share in EUR (app.config["SHARE_VALUE"], env PANEL_SHARE_VALUE)."""
    # to_money, not Decimal(): a float or a "64,00" set in the config must still give cents.
    return to_money(current_app.config["SHARE_VALUE"])


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
                raise ValidationFailed.field(field, _l("A two-letter country code such as DE."))
            clean[field] = text
        elif field == "vat_id":
            clean[field] = clean_vat_id(field, value)
        else:
            clean[field] = clean_text(field, value, max_length=limit, required=field == "name")
    if not partial:
        for field in ("name", "email"):
            if field not in clean:
                raise ValidationFailed.field(field, _l("Must not be empty."))
    return clean


def _office() -> bool:
    """An admin, or the command line (no signed-in actor)."""
    actor = current_actor()
    return actor is None or getattr(actor, "role", None) == Role.ADMIN


def clean_vat_id(field: str, value: Any) -> str:
    """Empty, or an EU VAT ID with a valid check digit (python-stdnum), compact: DE123456789."""
    from stdnum.eu import vat

    text = clean_text(field, value, max_length=20, required=False)
    if not text:
        return ""
    if not vat.is_valid(text):
        raise ValidationFailed.field(field, _l("Not a valid EU VAT ID (like DE136695976)."))
    return vat.compact(text)


def _next_number() -> str:
    # By length first: past M-99999 the text order would put M-100000 before M-99999.
    highest = db.session.scalar(
        select(Member.number)
        .order_by(func.length(Member.number).desc(), Member.number.desc())
        .limit(1)
    )
    following = int(highest[2:]) + 1 if highest else 1
    return f"M-{following:05d}"


def create_member(
    *,
    name: Any,
    email: Any,
    prefix: Any,
    kind: Any = MemberKind.NATURAL.value,
    admit: Any = True,
    password: str | None = None,
    on: Any = None,
    **contact: Any,
) -> Member:
    """A member record and its first login (role member). An admin's entry is admitted at
    once unless admit is False; an application stays `applicant` until the board admits it."""
    reject_unknown(contact, CONTACT_LIMITS)
    fields = _clean_contact({"name": name, "email": email, **contact}, partial=False)
    prefix = clean_prefix("prefix", prefix)
    kind = clean_choice("kind", kind, tuple(item.value for item in MemberKind))
    if not isinstance(admit, bool):
        raise ValidationFailed.field("admit", _l("Must be true or false."))
    today = clean_date("on", on if on is not None else date.today())
    _ensure_free(prefix, fields["email"])
    member = Member(
        number=_next_number(),
        prefix=prefix,
        kind=kind,
        applied_on=today,
        status=MemberStatus.ACTIVE if admit else MemberStatus.APPLICANT,
        admitted_on=today if admit else None,
        **fields,
    )
    db.session.add(member)
    _with_first_login(member, password)
    db.session.commit()
    return member


def _ensure_free(prefix: str, email: str) -> None:
    if db.session.scalar(select(Member.id).where(Member.prefix == prefix)) is not None:
        message = _l("This prefix is taken.")
        raise Conflict(message, {"prefix": [message]})
    if find_user_by_email(email) is not None:
        message = _l("This email address already has an account.")
        raise Conflict(message, {"email": [message]})


def _with_first_login(member: Member, password: str | None) -> None:
    """Write the new member with its audit entry and its first login. The member and its login
    are one unit: if the login cannot be made (a weak password, the email address taken
    meanwhile), no member row may stay behind."""
    try:
        db.session.flush()
        record("member.create", member, after=snapshot(member, MEMBER_FIELDS), member_id=member.id)
        create_user(
            member.email,
            Role.MEMBER,
            password=password,
            display_name=member.name[:120],
            member_id=member.id,
            commit=False,
        )
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(
            _l("The member number, prefix or email address was taken meanwhile; try again.")
        ) from exc
    except PanelError:
        db.session.rollback()
        raise


def update_member(member: Member, data: dict[str, Any]) -> Member:
    """Change contact data; number, prefix, status and shares have their own operations."""
    if not isinstance(data, dict):
        raise ValidationFailed(_l("Expected an object of contact fields."))
    reject_unknown(data, CONTACT_LIMITS)
    changes = _clean_contact(data, partial=True)
    if changes.get("vat_id", member.vat_id) != member.vat_id and not _office():
        # The VAT ID decides whether invoices carry VAT (reverse charge): the office checks it.
        raise Forbidden(_l("Only the office changes the VAT ID."))
    before = snapshot(member, MEMBER_FIELDS)
    for field, value in changes.items():
        setattr(member, field, value)
    after = snapshot(member, MEMBER_FIELDS)
    if after != before:
        record("member.update", member, before=before, after=after, member_id=member.id)
        db.session.commit()
    return member


def _change_status(
    member: Member,
    action: str,
    allowed_from: tuple[str, ...],
    refusal: LazyString,
    to: str,
    date_field: str,
    on: Any,
) -> Member:
    if member.status not in allowed_from:
        raise Conflict(refusal)
    day = clean_date("on", on if on is not None else date.today())
    # A step cannot take effect before the steps the membership already went through.
    latest = max(d for d in (member.applied_on, member.admitted_on, member.cancelled_on) if d)
    if day < latest:
        message = _l("Must not be before %(date)s.", date=latest.isoformat())
        raise ValidationFailed.field("on", message)
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
        member,
        "member.admit",
        (MemberStatus.APPLICANT,),
        _l("Only an applicant can be admitted."),
        MemberStatus.ACTIVE,
        "admitted_on",
        on,
    )


def cancel_membership(member: Member, on: Any = None) -> Member:
    return _change_status(
        member,
        "member.cancel",
        (MemberStatus.ACTIVE,),
        _l("Only an active membership can be cancelled."),
        MemberStatus.CANCELLED,
        "cancelled_on",
        on,
    )


def end_membership(member: Member, on: Any = None) -> Member:
    if member.share_count:
        raise Conflict(_l("Shares must be cancelled and paid out before the membership ends."))
    return _change_status(
        member,
        "member.end",
        (MemberStatus.APPLICANT, MemberStatus.CANCELLED),
        _l("Only an application or a cancelled membership can end."),
        MemberStatus.ENDED,
        "ended_on",
        on,
    )


def lock_member(member: Member) -> None:
    """Reload the member row and hold it until commit, so two bookings cannot both pass the
    total check (PostgreSQL; SQLite serialises writers anyway)."""
    db.session.refresh(member, with_for_update=True)


def record_share_transaction(
    member: Member, kind: Any, count: Any, value_date: Any, note: Any = ""
) -> ShareTransaction:
    """A subscription or cancellation of `count` shares (a positive number either way)."""
    kind = clean_choice("kind", kind, (ShareKind.SUBSCRIPTION.value, ShareKind.CANCELLATION.value))
    count = clean_positive_int("count", count, maximum=MAX_SHARES_PER_TRANSACTION)
    value_date = clean_date("value_date", value_date)
    note = clean_text("note", note, max_length=500, required=False, multiline=True)
    lock_member(member)
    if member.status == MemberStatus.ENDED:
        raise Conflict(_l("This membership has ended."))
    if kind == ShareKind.SUBSCRIPTION and member.status == MemberStatus.CANCELLED:
        raise Conflict(_l("A cancelled membership takes no new shares."))
    signed = count if kind == ShareKind.SUBSCRIPTION else -count
    if member.share_count + signed < 0:
        message = _l("The member holds only %(count)s shares.", count=member.share_count)
        raise ValidationFailed.field("count", message)
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
    value_date = clean_date("value_date", value_date if value_date is not None else date.today())
    note = clean_text("note", note, max_length=500, required=False, multiline=True)
    if transaction.kind == ShareKind.REVERSAL:
        raise Conflict(_l("A reversal cannot be reversed; book the transaction again."))
    member = transaction.member
    lock_member(member)
    if member.status == MemberStatus.ENDED:
        raise Conflict(_l("This membership has ended."))
    if db.session.scalar(
        select(ShareTransaction.id).where(ShareTransaction.reverses_id == transaction.id)
    ):
        raise Conflict(_l("This transaction is already reversed."))
    if member.share_count - transaction.count < 0:
        raise Conflict(
            _l(
                "Reversing this would leave a negative total; the member holds only "
                "%(count)s shares.",
                count=member.share_count,
            )
        )
    return _append(
        member,
        ShareTransaction(
            member_id=member.id,
            kind=ShareKind.REVERSAL,
            count=-transaction.count,
            value_date=value_date,
            reverses_id=transaction.id,
            note=note,
        ),
    )


def book_cancellation(member: Member, count: int, value_date: date, note: str) -> ShareTransaction:
    """Book COUNT shares out without committing: for a settlement that writes more rows in the
    same transaction. The caller holds the member's lock and has checked the input."""
    cancellation = ShareTransaction(
        member_id=member.id,
        kind=ShareKind.CANCELLATION,
        count=-count,
        value_date=value_date,
        note=note,
    )
    return _append(member, cancellation, commit=False)


def _append(
    member: Member, transaction: ShareTransaction, *, commit: bool = True
) -> ShareTransaction:
    before = member.share_count
    transaction.created_by_id = getattr(current_actor(), "id", None)
    db.session.add(transaction)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # The database has the last word (total >= 0, one reversal per booking).
        db.session.rollback()
        raise Conflict(_l("The database refused this booking; nothing was booked.")) from exc
    # The trigger changed share_count in the database, behind the session's back.
    db.session.refresh(member)
    record(
        f"share.{transaction.kind}",
        transaction,
        before={"share_count": before},
        after={
            "share_count": member.share_count,
            "count": transaction.count,
            "value_date": transaction.value_date,
            "reverses_id": transaction.reverses_id,
        },
        member_id=member.id,
    )
    if commit:
        db.session.commit()
    return transaction


def share_capital(member: Member) -> Decimal:
    return member.share_count * share_value()


# A leading =, +, - or @ (or a tab or CR that some spreadsheets skip) runs the cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def register_csv(members: list[Member]) -> str:
    """The member register as CSV: semicolons and a decimal comma, as German spreadsheets
    expect; dates in ISO form."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([*MEMBER_FIELDS, "share_capital_eur"])
    for member in members:
        row = [_csv_safe(getattr(member, field)) for field in MEMBER_FIELDS]
        writer.writerow([*row, f"{share_capital(member):.2f}".replace(".", ",")])
    return buffer.getvalue()


def _csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
