"""SEPA direct debit: members' bank accounts and mandates, pain.008 files for issued invoices,
and what the bank reports back (collected, returned)."""

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from itertools import count
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)
from sepaxml import SepaDD
from sepaxml.validation import ValidationError as SepaValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from stdnum.eu import at_02

from panel.billing.models import (
    BankAccount,
    BillingPeriod,
    DirectDebit,
    Invoice,
    InvoiceKind,
    InvoiceState,
    Mandate,
    MandateState,
)
from panel.coop.models import Member
from panel.core.audit import record, snapshot
from panel.core.errors import Conflict, ValidationFailed
from panel.core.models import utcnow
from panel.core.money import in_cents
from panel.core.validators import clean_date, clean_text
from panel.extensions import db

SCHEMA = "pain.008.001.02"
ACCOUNT_FIELDS = ("member_id", "holder", "iban", "bic")
MANDATE_FIELDS = ("member_id", "bank_account_id", "reference", "signed_on", "state")
DEBIT_FIELDS = ("message_id", "collection_date", "total", "count")
DEBITED_KINDS = (InvoiceKind.INVOICE, InvoiceKind.SUPPLEMENTARY)
# The BIC as pain.008.001.02 takes it (BICIdentifier): newer BICs with digits in the bank
# code pass schwifty but would make the file invalid.
BIC_PATTERN = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?")
# The EPC's restricted character set for identifiers; no spaces, and no empty path segment.
REFERENCE_PATTERN = re.compile(r"[A-Za-z0-9+?/\-:().,']{1,35}")
IBAN_MESSAGES = {
    InvalidChecksumDigits: _l("The IBAN's check digits do not match: is it mistyped?"),
    InvalidCountryCode: _l("The IBAN does not begin with a known country code."),
    InvalidLength: _l("The IBAN has the wrong length for its country."),
}


def clean_iban(field: str, value: Any) -> IBAN:
    """An IBAN of the SEPA area, checksum and national format checked by schwifty."""
    text = clean_text(field, value, max_length=50)
    try:
        iban = IBAN(text)
    except SchwiftyException as exc:
        message = IBAN_MESSAGES.get(type(exc), _l("Not a valid IBAN."))
        raise ValidationFailed.field(field, message) from exc
    if not iban.in_sepa_zone:
        raise ValidationFailed.field(field, _l("This IBAN is outside the SEPA area."))
    return iban


def clean_bic(field: str, value: Any, iban: IBAN) -> str:
    """The BIC as given, checked against the IBAN's bank; empty: derived from the IBAN."""
    text = clean_text(field, value, max_length=20, required=False)
    if not text:
        derived = iban.bic
        if derived is None or not BIC_PATTERN.fullmatch(derived.compact):
            raise ValidationFailed.field(
                field, _l("Enter the BIC: it cannot be derived from this IBAN.")
            )
        return derived.compact
    try:
        bic = BIC(text)
    except SchwiftyException as exc:
        raise ValidationFailed.field(field, _l("Not a valid BIC.")) from exc
    if not BIC_PATTERN.fullmatch(bic.compact):
        raise ValidationFailed.field(field, _l("Not a valid BIC."))
    try:
        known = BIC.candidates_from_bank_code(iban.country_code, iban.bank_code)
    except SchwiftyException:
        known = []
    # The branch part (the last three characters) may differ from the bank's main BIC.
    if known and bic.compact[:8] not in {candidate.compact[:8] for candidate in known}:
        raise ValidationFailed.field(field, _l("This BIC does not belong to the IBAN's bank."))
    if not known and bic.country_code != iban.country_code:
        raise ValidationFailed.field(field, _l("This BIC is of another country than the IBAN."))
    return bic.compact


def add_bank_account(member: Member, holder: Any, iban: Any, bic: Any = None) -> BankAccount:
    holder = clean_text("holder", holder, max_length=70)
    checked = clean_iban("iban", iban)
    clean = clean_bic("bic", bic, checked)
    taken = select(BankAccount.id).where(
        BankAccount.member_id == member.id, BankAccount.iban == checked.compact
    )
    if db.session.scalar(taken):
        raise Conflict(_l("This account is on file already."), {"iban": [_l("On file already.")]})
    account = BankAccount(member_id=member.id, holder=holder, iban=checked.compact, bic=clean)
    db.session.add(account)
    db.session.flush()
    record(
        "billing.bank_account.add",
        account,
        after=snapshot(account, ACCOUNT_FIELDS),
        member_id=member.id,
    )
    db.session.commit()
    return account


def remove_bank_account(account: BankAccount) -> None:
    """Only an account no mandate names: a revoked mandate keeps its account for the records."""
    states = set(
        db.session.scalars(select(Mandate.state).where(Mandate.bank_account_id == account.id))
    )
    if MandateState.ACTIVE in states:
        raise Conflict(_l("An active mandate uses this account: revoke the mandate first."))
    if states:
        raise Conflict(_l("Mandates name this account: it is kept with their records."))
    record(
        "billing.bank_account.remove",
        account,
        before=snapshot(account, ACCOUNT_FIELDS),
        member_id=account.member_id,
    )
    db.session.delete(account)
    db.session.commit()


def clean_reference(field: str, value: Any) -> str:
    text = clean_text(field, value, max_length=35)
    if not REFERENCE_PATTERN.fullmatch(text) or text.startswith("/") or "//" in text:
        raise ValidationFailed.field(
            field,
            _l("Up to 35 letters A-Z, digits and + ? / - : ( ) . , ' without spaces."),
        )
    return text


def _reference_taken(reference: str) -> bool:
    # Banks compare mandate references without regard to case.
    same = func.upper(Mandate.reference) == reference.upper()
    return db.session.scalar(select(Mandate.id).where(same)) is not None


def _new_reference(member: Member) -> str:
    """The member number and a running number: M-00042-1, M-00042-2, ..."""
    stem = f"{member.number}-".upper()
    taken = set(
        db.session.scalars(
            select(func.upper(Mandate.reference)).where(
                func.upper(Mandate.reference).like(f"{stem}%")
            )
        )
    )
    return next(f"{member.number}-{n}" for n in count(1) if f"{stem}{n}" not in taken)


def create_mandate(
    member: Member, bank_account: BankAccount, signed_on: Any, reference: Any = None
) -> Mandate:
    """A signed mandate for one of the member's accounts; a member has one active mandate."""
    if bank_account is None or bank_account.member_id != member.id:
        raise ValidationFailed.field("bank_account", _l("Not an account of this member."))
    signed_on = clean_date("signed_on", signed_on, not_after=utcnow().date())
    given = reference not in (None, "")
    reference = clean_reference("reference", reference) if given else _new_reference(member)
    if _reference_taken(reference):
        raise Conflict(_l("This mandate reference is taken."), {"reference": [_l("Taken.")]})
    active = select(Mandate.id).where(
        Mandate.member_id == member.id, Mandate.state == MandateState.ACTIVE
    )
    if db.session.scalar(active):
        raise Conflict(_l("This member has an active mandate: revoke it first."))
    mandate = Mandate(
        member_id=member.id,
        bank_account_id=bank_account.id,
        reference=reference,
        signed_on=signed_on,
        state=MandateState.ACTIVE,
    )
    try:
        with db.session.begin_nested():
            db.session.add(mandate)
    except IntegrityError as exc:
        raise Conflict(
            _l("This mandate reference is taken."), {"reference": [_l("Taken.")]}
        ) from exc
    record(
        "billing.mandate.create",
        mandate,
        after=snapshot(mandate, MANDATE_FIELDS),
        member_id=member.id,
    )
    db.session.commit()
    return mandate


def revoke_mandate(mandate: Mandate) -> Mandate:
    if mandate.state != MandateState.ACTIVE:
        raise Conflict(_l("This mandate is revoked already."))
    before = snapshot(mandate, MANDATE_FIELDS)
    mandate.state = MandateState.REVOKED
    record(
        "billing.mandate.revoke",
        mandate,
        before=before,
        after=snapshot(mandate, MANDATE_FIELDS),
        member_id=mandate.member_id,
    )
    db.session.commit()
    return mandate


def _active_mandates() -> dict[int, Mandate]:
    """Every member's active mandate (the newest, should there be two), by member id."""
    mandates = db.session.scalars(
        select(Mandate)
        .where(Mandate.state == MandateState.ACTIVE)
        .options(selectinload(Mandate.bank_account))
        .order_by(Mandate.id)
    )
    return {mandate.member_id: mandate for mandate in mandates}


def _mandate_for(invoice: Invoice, active: dict[int, Mandate]) -> Mandate | None:
    """The mandate the invoice names while it is active. An issued invoice never changes: one
    issued before its member signed says "transfer", and is paid so."""
    own = invoice.mandate
    if own is not None and own.id in {mandate.id for mandate in active.values()}:
        return own
    return None


def _why_not_debitable(invoice: Invoice, active: dict[int, Mandate]) -> Any:
    """The reason an invoice cannot go into a direct debit, or None."""
    if invoice.state != InvoiceState.ISSUED:
        return _l("not issued")
    if invoice.kind not in DEBITED_KINDS:
        return _l("a credit note is paid out, never collected")
    if invoice.gross <= 0:
        return _l("nothing to collect")
    if invoice.direct_debit_id is not None:
        return _l("in a direct debit already")
    if _mandate_for(invoice, active) is None:
        return _l("no active mandate")
    return None


def collectable(period: BillingPeriod) -> list[Invoice]:
    """The period's issued invoices a direct debit may collect."""
    candidates = db.session.scalars(
        select(Invoice)
        .where(
            Invoice.period_id == period.id,
            Invoice.state == InvoiceState.ISSUED,
            Invoice.kind.in_([kind.value for kind in DEBITED_KINDS]),
            Invoice.gross > 0,
            Invoice.direct_debit_id.is_(None),
        )
        .order_by(Invoice.number)
    ).all()
    active = _active_mandates()
    return [invoice for invoice in candidates if _mandate_for(invoice, active) is not None]


def _creditor() -> dict[str, Any]:
    """The cooperative as creditor, from its settings; refuses settings a bank would refuse."""
    config = current_app.config
    wrong = []
    name = (config.get("COOP_NAME") or "").strip()
    if not name:
        wrong.append("PANEL_COOP_NAME")
    iban = bic = None
    try:
        iban = IBAN(config.get("COOP_IBAN") or "")
    except SchwiftyException:
        wrong.append("PANEL_COOP_IBAN")
    try:
        if config.get("COOP_BIC"):
            bic = BIC(config["COOP_BIC"]).compact
        elif iban is not None and iban.bic is not None:
            bic = iban.bic.compact
    except SchwiftyException:
        bic = None
    if bic is None or not BIC_PATTERN.fullmatch(bic):
        wrong.append("PANEL_COOP_BIC")
    creditor_id = at_02.compact(config.get("SEPA_CREDITOR_ID") or "")
    if not at_02.is_valid(creditor_id):
        wrong.append("PANEL_SEPA_CREDITOR_ID")
    if wrong:
        raise Conflict(
            _l(
                "The cooperative's creditor settings are missing or invalid: %(names)s.",
                names=", ".join(wrong),
            )
        )
    return {
        "name": name,
        "IBAN": str(iban.compact),
        "BIC": bic,
        "batch": True,
        "creditor_id": creditor_id,
        "currency": "EUR",
    }


def direct_debit(invoices: Iterable[Invoice], collection_date: Any) -> DirectDebit:
    """A pain.008 file collecting the invoices on the date: FRST for a mandate never
    collected, RCUR after that. The file is validated against the schema before it is stored."""
    collection_date = _clean_collection_date(collection_date)
    chosen = list({invoice.id: invoice for invoice in invoices}.values())
    active = _active_mandates()
    _ensure_debitable(chosen, active)
    xml, message_id = _pain_008(chosen, active, collection_date)
    debit = DirectDebit(
        message_id=message_id,
        collection_date=collection_date,
        total=sum((invoice.gross for invoice in chosen), Decimal(0)),
        count=len(chosen),
        xml=xml,
    )
    db.session.add(debit)
    db.session.flush()
    _claim(chosen, debit)
    record(
        "billing.direct_debit.create",
        debit,
        after=snapshot(debit, DEBIT_FIELDS) | {"invoices": [i.number for i in chosen]},
    )
    db.session.commit()
    return debit


def _clean_collection_date(value: Any) -> date:
    collection_date = clean_date("collection_date", value)
    if collection_date <= utcnow().date():
        raise ValidationFailed.field(
            "collection_date", _l("A day after today at the earliest: the bank needs the file.")
        )
    return collection_date


def _ensure_debitable(chosen: list[Invoice], active: dict[int, Mandate]) -> None:
    """Refuses an empty choice, or one with an invoice a direct debit may not collect."""
    if not chosen:
        raise ValidationFailed(_l("No invoices to collect."))
    problems = []
    for invoice in chosen:
        reason = _why_not_debitable(invoice, active)
        if reason is not None:
            name = invoice.number or f"#{invoice.id}"
            problems.append(_l("%(invoice)s: %(reason)s", invoice=name, reason=reason))
    if problems:
        raise ValidationFailed(_l("Some invoices cannot be collected."), {"invoices": problems})


def _pain_008(
    chosen: list[Invoice], active: dict[int, Mandate], collection_date: date
) -> tuple[str, str]:
    """The file's XML, validated against the schema, and its message id."""
    creditor = _creditor()
    sepa = SepaDD(creditor, schema=SCHEMA)
    for invoice in chosen:
        mandate = _mandate_for(invoice, active)
        account = mandate.bank_account
        sepa.add_payment(
            {
                "name": account.holder,
                "IBAN": account.iban,
                "BIC": account.bic,
                "amount": in_cents(invoice.gross),
                "type": "FRST" if mandate.first_collected_at is None else "RCUR",
                "collection_date": collection_date,
                "mandate_id": mandate.reference,
                "mandate_date": mandate.signed_on,
                "description": f"{creditor['name']} {invoice.number}",
                "endtoend_id": invoice.number,
            }
        )
    try:
        xml = sepa.export(validate=True)
    except SepaValidationError as exc:
        reason = getattr(exc.__cause__, "reason", None) or str(exc.__cause__ or exc)
        raise Conflict(
            _l("The direct-debit file does not validate: %(reason)s", reason=reason)
        ) from exc
    return xml.decode(), sepa.msg_id


def _claim(invoices: list[Invoice], debit: DirectDebit) -> None:
    """Put the invoices into the direct debit, each only where still free: another file made
    meanwhile may have taken one, and then nothing is stored."""
    claimed = db.session.execute(
        update(Invoice)
        .where(Invoice.id.in_([invoice.id for invoice in invoices]))
        .where(Invoice.direct_debit_id.is_(None))
        .values(direct_debit_id=debit.id)
    ).rowcount
    if claimed != len(invoices):
        db.session.rollback()
        raise Conflict(_l("Another direct debit took some of these invoices meanwhile."))


def debit_invoices(debit: DirectDebit) -> list[Invoice]:
    return list(
        db.session.scalars(
            select(Invoice).where(Invoice.direct_debit_id == debit.id).order_by(Invoice.number)
        )
    )


def mark_collected(target: DirectDebit | Iterable[Invoice]) -> list[Invoice]:
    """The bank collected these invoices (a whole direct debit: those not marked yet). A
    mandate's first collection makes the next one recurring."""
    if isinstance(target, DirectDebit):
        invoices = [invoice for invoice in debit_invoices(target) if invoice.collected_at is None]
    else:
        invoices = list({invoice.id: invoice for invoice in target}.values())
    problems = []
    for invoice in invoices:
        name = invoice.number or f"#{invoice.id}"
        if invoice.direct_debit_id is None:
            problems.append(_l("%(invoice)s: in no direct debit", invoice=name))
        elif invoice.collected_at is not None:
            problems.append(_l("%(invoice)s: marked collected already", invoice=name))
    if problems:
        raise ValidationFailed(
            _l("Some invoices cannot be marked collected."), {"invoices": problems}
        )
    if not invoices:
        raise Conflict(_l("Every invoice of this direct debit is marked collected already."))
    now = utcnow()
    for invoice in invoices:
        invoice.collected_at = now
        mandate = invoice.mandate
        if mandate is not None and mandate.first_collected_at is None:
            mandate.first_collected_at = now
        record(
            "billing.collected",
            invoice,
            after={"number": invoice.number, "collected_at": now},
            member_id=invoice.member_id,
        )
    db.session.commit()
    return invoices


def record_return(invoice: Invoice, reason: Any) -> Invoice:
    """The bank returned a collected invoice (a chargeback or a reject), with its reason."""
    reason = clean_text("reason", reason, max_length=200)
    if invoice.collected_at is None:
        raise Conflict(_l("Only a collected invoice can be returned."))
    if invoice.returned_at is not None:
        raise Conflict(_l("This invoice's return is recorded already."))
    invoice.returned_at = utcnow()
    invoice.return_reason = reason
    record(
        "billing.returned",
        invoice,
        after={"number": invoice.number, "returned_at": invoice.returned_at, "reason": reason},
        member_id=invoice.member_id,
    )
    db.session.commit()
    return invoice
