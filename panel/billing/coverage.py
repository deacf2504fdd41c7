"""How the cooperative's costs were covered: per pool, what issued invoices charged for it, and
per key, the cooperative's total usage."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from panel.billing import keys
from panel.billing.models import (
    BillingPeriod,
    CostPool,
    Invoice,
    InvoiceLine,
    InvoiceState,
    PeriodState,
)
from panel.extensions import db


@dataclass(frozen=True)
class PoolCoverage:
    pool: CostPool
    key_total: Decimal
    charged: Decimal

    @property
    def covered_percent(self) -> Decimal:
        return (self.charged / self.pool.amount * 100) if self.pool.amount else Decimal(100)


def coverage(period: BillingPeriod, issued_only: bool = True) -> list[PoolCoverage]:
    """Per pool: the key's total usage and what invoices charged. Issued invoices' lines keep
    the total they were computed from; before any, it is read from the ledger (the office's
    page only: members see closed periods)."""
    query = (
        select(InvoiceLine.pool_id, func.sum(InvoiceLine.net))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.period_id == period.id, Invoice.kind == "invoice")
        .group_by(InvoiceLine.pool_id)
    )
    if issued_only:
        query = query.where(Invoice.state == InvoiceState.ISSUED)
    charged = dict(db.session.execute(query).all())
    stored = dict(
        db.session.execute(
            select(InvoiceLine.pool_id, func.max(InvoiceLine.key_total))
            .join(CostPool, CostPool.id == InvoiceLine.pool_id)
            .where(CostPool.period_id == period.id)
            .group_by(InvoiceLine.pool_id)
        ).all()
    )
    return [
        PoolCoverage(
            pool,
            Decimal(stored[pool.id])
            if pool.id in stored
            else sum(keys.usage(pool.key, period.month).values(), Decimal(0))
            if period.state == PeriodState.OPEN
            else Decimal(0),
            Decimal(charged.get(pool.id) or 0),
        )
        for pool in period.pools
    ]
