"""Every change to billing: periods and their cost pools, draft runs, issuing with numbers
without gaps, closing a period, and corrections by credit note or supplementary invoice."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from stdnum.eu import vat as eu_vat

from panel.billing import keys
from panel.billing.lines import ZERO, Charge
from panel.billing.models import (
    BillingPeriod,
    CostPool,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceSequence,
    InvoiceState,
    Mandate,
    MandateState,
    PeriodState,
    PoolKey,
)
from panel.billing.rating import NoUsage, allocate, percent_of, unit_price
from panel.coop.models import Member
from panel.core.audit import record, snapshot
from panel.core.errors import Conflict, ValidationFailed
from panel.core.models import utcnow
from panel.core.money import SIGNED_AMOUNT, clean_amount, clean_percent
from panel.core.validators import clean_choice, clean_text
from panel.extensions import db
from panel.notifications import events

PERIOD_FIELDS = ("month", "state", "membership_fee", "reserve_percent", "vat_percent")
POOL_FIELDS = ("name", "amount", "key")
INVOICE_FIELDS = ("number", "kind", "state", "net", "vat", "gross")
KEYS = tuple(key.value for key in PoolKey)


@dataclass
class RunResult:
    created: list[Invoice] = field(default_factory=list)
    # Pools whose key had no usage: their amount is not shared out, and says so.
    unallocated: list[CostPool] = field(default_factory=list)


def clean_vat_percent(field_name: str, value: Any) -> Decimal:
    """Not 0: invoices without VAT would need an exemption reason, which the panel does not
    know; businesses abroad get the reverse charge by their VAT ID."""
    percent = clean_percent(field_name, value)
    if percent == 0:
        raise ValidationFailed.field(field_name, _l("Must be above 0."))
    return percent


def clean_month(field_name: str, value: Any) -> date:
    """YYYY-MM, not in the future."""
    if isinstance(value, date):
        month = value.replace(day=1)
    else:
        text = value.strip() if isinstance(value, str) else ""
        try:
            if len(text) != 7 or text[4] != "-":
                raise ValueError(text)
            month = date(int(text[:4]), int(text[5:]), 1)
        except ValueError as exc:
            raise ValidationFailed.field(field_name, _l("A month as YYYY-MM.")) from exc
    if month > utcnow().date().replace(day=1):
        raise ValidationFailed.field(field_name, _l("This month has not begun."))
    return month


def open_period(
    month: Any, membership_fee: Any = "0", reserve_percent: Any = "0", vat_percent: Any = None
) -> BillingPeriod:
    month = clean_month("month", month)
    fee = clean_amount("membership_fee", membership_fee)
    reserve = clean_percent("reserve_percent", reserve_percent)
    vat = clean_vat_percent(
        "vat_percent", current_app.config["VAT_PERCENT"] if vat_percent is None else vat_percent
    )
    if db.session.scalar(select(BillingPeriod.id).where(BillingPeriod.month == month)):
        raise Conflict(_l("This month has a billing period."), {"month": [_l("Taken.")]})
    period = BillingPeriod(
        month=month, membership_fee=fee, reserve_percent=reserve, vat_percent=vat
    )
    db.session.add(period)
    db.session.flush()
    record("billing.period.open", period, after=snapshot(period, PERIOD_FIELDS))
    db.session.commit()
    return period


def _lock(period: BillingPeriod) -> None:
    """Hold the period's row until commit: a run, a cancel and an issue of the same period
    (from the page, the API, the command or the monthly job) take turns. A write, so that
    SQLite takes its lock too."""
    db.session.execute(
        update(BillingPeriod).where(BillingPeriod.id == period.id).values(state=BillingPeriod.state)
    )
    db.session.refresh(period)


def ensure_open(period: BillingPeriod) -> None:
    if period.state != PeriodState.OPEN:
        raise Conflict(
            _l("This period is closed: correct it with a credit note or a supplementary invoice.")
        )


def update_period(period: BillingPeriod, data: dict[str, Any]) -> BillingPeriod:
    ensure_open(period)
    _ensure_no_invoices(period)
    before = snapshot(period, PERIOD_FIELDS)
    if "membership_fee" in data:
        period.membership_fee = clean_amount("membership_fee", data["membership_fee"])
    if "reserve_percent" in data:
        period.reserve_percent = clean_percent("reserve_percent", data["reserve_percent"])
    if "vat_percent" in data:
        period.vat_percent = clean_vat_percent("vat_percent", data["vat_percent"])
    record("billing.period.update", period, before=before, after=snapshot(period, PERIOD_FIELDS))
    db.session.commit()
    return period


def _ensure_no_invoices(period: BillingPeriod) -> None:
    """Prices may change only while no invoice of the period exists (cancel the drafts first)."""
    if db.session.scalar(select(Invoice.id).where(Invoice.period_id == period.id).limit(1)):
        raise Conflict(_l("Invoices of this period exist: cancel the draft run first."))


def add_pool(period: BillingPeriod, name: Any, amount: Any, key: Any) -> CostPool:
    ensure_open(period)
    _ensure_no_invoices(period)
    name = clean_text("name", name, max_length=100)
    amount = clean_amount("amount", amount)
    key = clean_choice("key", key, KEYS)
    taken = select(CostPool.id).where(CostPool.period_id == period.id, CostPool.name == name)
    if db.session.scalar(taken):
        raise Conflict(_l("This period has a pool of this name."), {"name": [_l("Taken.")]})
    pool = CostPool(period_id=period.id, name=name, amount=amount, key=key)
    db.session.add(pool)
    db.session.flush()
    record("billing.pool.add", pool, after=snapshot(pool, POOL_FIELDS))
    db.session.commit()
    return pool


def remove_pool(pool: CostPool) -> None:
    ensure_open(pool.period)
    _ensure_no_invoices(pool.period)
    record("billing.pool.remove", pool, before=snapshot(pool, POOL_FIELDS))
    db.session.delete(pool)
    db.session.commit()


def reverse_charge(member: Member) -> bool:
    """A business customer in another EU country with a valid VAT ID owes the VAT itself."""
    own = current_app.config["COOP_COUNTRY"].upper()
    vat_id = eu_vat.compact(member.vat_id or "") if member.vat_id else ""
    return member.kind == "legal" and eu_vat.is_valid(vat_id) and vat_id[:2] != own


def run_period(period: BillingPeriod) -> RunResult:
    """Draft invoices for every member with charges in the period. Once the period has
    invoices, a run makes none: running a period twice changes nothing, and a pool is never
    shared out twice (cancel the drafts to run it again on new usage)."""
    _lock(period)
    ensure_open(period)
    result = RunResult()
    invoiced = select(Invoice.id).where(
        Invoice.period_id == period.id, Invoice.kind == InvoiceKind.INVOICE
    )
    if db.session.scalar(invoiced.limit(1)) is not None:
        db.session.commit()
        return result
    shares = _share_pools(period, result.unallocated)
    mandates = _active_mandate_ids()
    drafts = []
    for member in db.session.scalars(select(Member).order_by(Member.id)).all():
        charges = shares.get(member.id, [])
        charges += _fee_and_reserve(period, member, charges)
        if any(charge.net for charge in charges):
            drafts.append(_draft(period, member, charges, mandates.get(member.id)))
    _insert_lines(drafts)
    result.created = [invoice for invoice, _ in drafts]
    record(
        "billing.run",
        period,
        after={"drafts": len(result.created), "unallocated": [p.name for p in result.unallocated]},
    )
    db.session.commit()
    return result


def _share_pools(period: BillingPeriod, unallocated: list[CostPool]) -> dict[int, list[Charge]]:
    """Each member's charges: its share of every pool, by the pool's key (a line per server
    for the servers' meters). A pool whose key had no usage goes to UNALLOCATED instead."""
    charges: dict[int, list[Charge]] = defaultdict(list)
    for pool in period.pools:
        used = _payers(pool.key, period.month)
        try:
            shares = allocate(pool.amount, used)
        except NoUsage:
            unallocated.append(pool)
            continue
        total = sum(used.values())
        price = unit_price(pool.amount, total)
        unit = keys.unit(pool.key)
        for payer, share in shares.items():
            member_id, server_id, server = payer
            charges[member_id].append(
                Charge(
                    description=f"{pool.name}: {server}" if server else pool.name,
                    quantity=used[payer],
                    unit=unit,
                    unit_price=price,
                    exact_net=share.exact,
                    net=share.amount,
                    pool_id=pool.id,
                    pool_name=pool.name,
                    key=pool.key,
                    pool_amount=pool.amount,
                    key_total=total,
                    server_id=server_id,
                )
            )
    return charges


def _payers(key: str, month: date) -> dict[tuple[int, int | None, str | None], Decimal]:
    """Usage of the key by member and, for the servers' meters, server (id and name)."""
    if key in keys.PER_SERVER:
        return keys.server_usage(key, month)
    return {(member, None, None): value for member, value in keys.usage(key, month).items()}


def _active_mandate_ids() -> dict[int, int]:
    """Every member's active mandate (the newest, should there be two), by member id."""
    return dict(
        db.session.execute(
            select(Mandate.member_id, func.max(Mandate.id))
            .where(Mandate.state == MandateState.ACTIVE)
            .group_by(Mandate.member_id)
        ).all()
    )


def _fee_and_reserve(period: BillingPeriod, member: Member, charges: list[Charge]) -> list[Charge]:
    extra = []
    if period.reserve_percent and charges:
        base = sum(charge.net for charge in charges)
        amount = percent_of(base, period.reserve_percent)
        extra.append(Charge.fixed(f"Reserve {period.reserve_percent} %", base, "EUR", amount))
    start, end = keys.month_bounds(period.month)
    admitted = member.admitted_on and member.admitted_on < end.date()
    still = member.ended_on is None or member.ended_on >= start.date()
    if period.membership_fee and admitted and still:
        extra.append(Charge.fixed("Membership fee", Decimal(1), "month", period.membership_fee))
    return extra


def _draft(
    period: BillingPeriod,
    member: Member,
    charges: list[Charge],
    mandate_id: int | None,
    like: Invoice | None = None,
    **fields,
) -> tuple[Invoice, list[dict]]:
    """A draft invoice added to the session, and the rows of its lines (one per charge) to
    insert once it has an id. A correction is taxed LIKE the invoice it corrects, whatever the
    member's data says now."""
    if like is not None:
        reverse = like.reverse_charge
        vat_percent = like.lines[0].vat_percent if like.lines else period.vat_percent
    else:
        reverse = reverse_charge(member)
        vat_percent = ZERO if reverse else period.vat_percent
    net = sum((charge.net for charge in charges), ZERO)
    # EN 16931 (BR-CO-17): the VAT of a rate is the rate on the net sum, rounded once; it is
    # split over the lines by their net, to the cent, so that the lines add up to it.
    vat = percent_of(net, vat_percent)
    shares = allocate(vat, {i: charge.net for i, charge in enumerate(charges)}) if net else {}
    invoice = Invoice(
        member_id=member.id,
        period_id=period.id,
        reverse_charge=reverse,
        buyer=buyer_details(member),
        mandate_id=mandate_id,
        net=net,
        vat=vat,
        gross=net + vat,
        **fields,
    )
    db.session.add(invoice)
    rows = [
        charge.row(position, vat_percent, shares[position - 1].amount if shares else ZERO)
        for position, charge in enumerate(charges, 1)
    ]
    return invoice, rows


def _insert_lines(drafts: list[tuple[Invoice, list[dict]]]) -> None:
    """The drafts' lines in one executemany (no RETURNING: their ids are not needed)."""
    db.session.flush()
    rows = []
    for invoice, own in drafts:
        for row in own:
            row["invoice_id"] = invoice.id
        rows += own
    if rows:
        db.session.execute(insert(InvoiceLine), rows)


def buyer_details(member: Member) -> dict:
    """The buyer as the invoice keeps it: the member's details on the day it was drafted."""
    return {
        "number": member.number,
        "name": member.name,
        "street": member.street,
        "postal_code": member.postal_code,
        "city": member.city,
        "country": member.country,
        "email": member.email,
        "vat_id": member.vat_id,
    }


def cancel_drafts(period: BillingPeriod) -> int:
    """Remove the period's draft invoices, and nothing else."""
    _lock(period)
    drafts = select(Invoice.id).where(
        Invoice.period_id == period.id, Invoice.state == InvoiceState.DRAFT
    )
    ids = list(db.session.scalars(drafts))
    if ids:
        db.session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id.in_(ids)))
        db.session.execute(
            delete(Invoice).where(Invoice.id.in_(ids), Invoice.state == InvoiceState.DRAFT)
        )
    record("billing.cancel_drafts", period, after={"removed": len(ids)})
    db.session.commit()
    return len(ids)


def issue(period: BillingPeriod) -> list[Invoice]:
    """Number and issue the period's drafts. The year's sequence row is locked first, then the
    drafts are read: a second run at the same time waits, then finds them issued. Numbers have
    no gaps because a failed run rolls its numbers back with everything else."""
    _lock(period)
    year = utcnow().year
    sequence = _locked_sequence(year)
    drafts = db.session.scalars(
        select(Invoice)
        .where(Invoice.period_id == period.id, Invoice.state == InvoiceState.DRAFT)
        .order_by(Invoice.id)
        .with_for_update()
    ).all()
    now = utcnow()
    for invoice in drafts:
        sequence.last += 1
        invoice.number = f"{year}-{sequence.last:06d}"
        invoice.state = InvoiceState.ISSUED
        invoice.issued_at = now
        record(
            "billing.issue",
            invoice,
            after=snapshot(invoice, INVOICE_FIELDS),
            member_id=invoice.member_id,
        )
        events.invoice_issued(invoice.member_id, invoice.id, invoice.number, invoice.gross)
    db.session.commit()
    return list(drafts)


def _locked_sequence(year: int) -> InvoiceSequence:
    query = select(InvoiceSequence).where(InvoiceSequence.year == year).with_for_update()
    sequence = db.session.scalar(query)
    if sequence is not None:
        return sequence
    try:
        with db.session.begin_nested():
            db.session.add(InvoiceSequence(year=year, last=0))
    except IntegrityError:
        pass  # another run made the year's row first; it is locked below like any other
    return db.session.scalar(query.execution_options(populate_existing=True))


def close_period(period: BillingPeriod) -> BillingPeriod:
    """Freeze the period's prices; its drafts must be issued or cancelled first."""
    ensure_open(period)
    drafts = select(Invoice.id).where(
        Invoice.period_id == period.id, Invoice.state == InvoiceState.DRAFT
    )
    if db.session.scalar(drafts.limit(1)):
        raise Conflict(_l("Issue or cancel the drafts of this period first."))
    before = snapshot(period, PERIOD_FIELDS)
    period.state = PeriodState.CLOSED
    period.closed_at = utcnow()
    record("billing.period.close", period, before=before, after=snapshot(period, PERIOD_FIELDS))
    db.session.commit()
    return period


def _creditable(invoice: Invoice) -> Decimal:
    """The invoice's net with its supplementary invoices, less its credit notes (drafts too)."""
    corrections = dict(
        db.session.execute(
            select(Invoice.kind, func.sum(Invoice.net))
            .where(Invoice.corrects_id == invoice.id)
            .group_by(Invoice.kind)
        ).all()
    )
    added = Decimal(corrections.get(InvoiceKind.SUPPLEMENTARY.value) or 0)
    credited = Decimal(corrections.get(InvoiceKind.CREDIT_NOTE.value) or 0)
    return invoice.net + added - credited


def correct(invoice: Invoice, amount: Any, description: Any) -> Invoice:
    """A draft credit note (a negative correction) or supplementary invoice (a positive one)
    for an issued invoice; the invoice itself never changes."""
    if invoice.state != InvoiceState.ISSUED or invoice.kind != InvoiceKind.INVOICE:
        raise Conflict(_l("Only an issued invoice can be corrected."))
    description = clean_text("description", description, max_length=200)
    value = clean_amount("amount", amount, signed=True)
    if value == 0:
        raise ValidationFailed.field("amount", SIGNED_AMOUNT)
    kind = InvoiceKind.CREDIT_NOTE if value < 0 else InvoiceKind.SUPPLEMENTARY
    net = abs(value)
    left = _creditable(invoice)
    if kind == InvoiceKind.CREDIT_NOTE and net > left:
        raise ValidationFailed.field(
            "amount", _l("At most %(amount)s EUR of this invoice is left to credit.", amount=left)
        )
    charge = Charge.fixed(description, Decimal(1), "EUR", net)
    mandate_id = db.session.scalar(
        select(func.max(Mandate.id)).where(
            Mandate.member_id == invoice.member_id, Mandate.state == MandateState.ACTIVE
        )
    )
    draft, rows = _draft(
        invoice.period,
        invoice.member,
        [charge],
        mandate_id,
        like=invoice,
        kind=kind.value,
        corrects_id=invoice.id,
    )
    _insert_lines([(draft, rows)])
    record("billing.correct", draft, after=snapshot(draft, INVOICE_FIELDS))
    db.session.commit()
    return draft
