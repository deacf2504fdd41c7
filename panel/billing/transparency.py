"""The cooperative's books for every member to read: per closed month, the cost pools and how
they were covered, what was invoiced (less credit notes) and collected, and the total usage of
each key the costs were shared by. Totals only: nothing about any one member."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select

from panel.billing import keys
from panel.billing.coverage import PoolCoverage, coverage
from panel.billing.models import BillingPeriod, Invoice, InvoiceKind, InvoiceState, PeriodState
from panel.extensions import db

ZERO = Decimal(0)


@dataclass(frozen=True)
class KeyUsage:
    key: str
    total: Decimal
    unit: str


@dataclass(frozen=True)
class Month:
    period: BillingPeriod
    pools: list[PoolCoverage]
    invoiced: Decimal
    collected: Decimal

    @property
    def costs(self) -> Decimal:
        return sum((item.pool.amount for item in self.pools), ZERO)

    @property
    def usage(self) -> list[KeyUsage]:
        """Each key's total as billing shared the month's pools by it (every pool of a key
        was shared by the same total)."""
        totals = {item.pool.key: item.key_total for item in self.pools}
        return [KeyUsage(key, total, keys.unit(key)) for key, total in sorted(totals.items())]


@dataclass(frozen=True)
class Bar:
    """A month's value, as panel.metering.charts draws it."""

    start: date
    quantity: Decimal
    incomplete: bool = False


def _money_in(period_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Period id → (invoiced, collected): issued invoices' gross, credit notes subtracted; and
    what the bank collected and did not return."""
    signed = case((Invoice.kind == InvoiceKind.CREDIT_NOTE, -Invoice.gross), else_=Invoice.gross)
    kept = case(
        (Invoice.collected_at.is_not(None) & Invoice.returned_at.is_(None), Invoice.gross),
        else_=0,
    )
    rows = db.session.execute(
        select(Invoice.period_id, func.sum(signed), func.sum(kept))
        .where(Invoice.period_id.in_(period_ids), Invoice.state == InvoiceState.ISSUED)
        .group_by(Invoice.period_id)
    )
    return {period: (Decimal(invoiced), Decimal(collected)) for period, invoiced, collected in rows}


def closed_months(limit: int = 24) -> list[Month]:
    """The latest closed months, newest first; open ones are still being billed."""
    periods = db.session.scalars(
        select(BillingPeriod)
        .where(BillingPeriod.state == PeriodState.CLOSED)
        .order_by(BillingPeriod.month.desc())
        .limit(limit)
    ).all()
    money = _money_in([period.id for period in periods])
    return [
        Month(period, coverage(period), *money.get(period.id, (ZERO, ZERO))) for period in periods
    ]


def bars(months: list[Month], value) -> list[Bar]:
    """VALUE(month) for each month, oldest first."""
    return [Bar(month.period.month, value(month)) for month in reversed(months)]


def usage_bars(months: list[Month]) -> dict[str, list[Bar]]:
    """Per key used in any of the months, its total per month, oldest first (zero in a month
    that had no pool of it)."""
    used = sorted({item.pool.key for month in months for item in month.pools})
    return {
        key: bars(
            months,
            lambda month, key=key: next((u.total for u in month.usage if u.key == key), ZERO),
        )
        for key in used
    }
