"""Billing periods and their cost pools, invoices and their lines, numbering, bank accounts,
direct-debit mandates and the direct-debit files made from them."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.billing.lines import COLUMNS, Line
from panel.core.models import Base, CreatedAt, one_of
from panel.core.money import Money

Percent = Numeric(5, 2, asdecimal=True)
# Quantities to the byte in GB; unit prices with room below the cent.
Quantity = Numeric(30, 9, asdecimal=True)
Exact = Numeric(30, 12, asdecimal=True)
UnitPrice = Numeric(40, 12, asdecimal=True)


class PeriodState(StrEnum):
    OPEN = "open"
    # Prices frozen: corrections are credit notes or supplementary invoices.
    CLOSED = "closed"


class PoolKey(StrEnum):
    """What a cost pool is shared by: a ledger meter, or a count of things over the month."""

    TRAFFIC = "traffic"
    REQUESTS = "requests"
    CPU = "cpu"
    DISK = "disk"
    DATABASE_DISK = "database_disk"
    SERVER_HOURS = "server_hours"
    SERVER_CPU = "server_cpu"
    SERVER_MEMORY = "server_memory"
    SERVER_DISK = "server_disk"
    VIDEO_PARTICIPANTS = "video_participants"
    WEBSPACES = "webspaces"
    DOMAINS = "domains"
    MEMBERS = "members"


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    SUPPLEMENTARY = "supplementary"
    CREDIT_NOTE = "credit_note"


class InvoiceState(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"


class MandateState(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class BillingPeriod(CreatedAt, Base):
    __tablename__ = "billing_periods"
    __table_args__ = (one_of("state", PeriodState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The first day of the month.
    month: Mapped[date] = mapped_column(unique=True)
    state: Mapped[str] = mapped_column(String(8), default=PeriodState.OPEN)
    membership_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    reserve_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal(0))
    vat_percent: Mapped[Decimal] = mapped_column(Percent)
    closed_at: Mapped[datetime | None]

    pools = relationship("CostPool", back_populates="period", order_by="CostPool.name")


class CostPool(CreatedAt, Base):
    __tablename__ = "cost_pools"
    __table_args__ = (UniqueConstraint("period_id", "name"), one_of("key", PoolKey))

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("billing_periods.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Money)
    key: Mapped[str] = mapped_column(String(32))

    period = relationship("BillingPeriod", back_populates="pools")


class InvoiceSequence(Base):
    """The last number given per year: numbers without gaps, one row lock per issue."""

    __tablename__ = "invoice_sequences"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class BankAccount(CreatedAt, Base):
    __tablename__ = "bank_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    holder: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11))


class Mandate(CreatedAt, Base):
    """A SEPA direct-debit mandate: first collection FRST, then RCUR."""

    __tablename__ = "mandates"
    __table_args__ = (one_of("state", MandateState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    reference: Mapped[str] = mapped_column(String(35), unique=True)
    signed_on: Mapped[date]
    state: Mapped[str] = mapped_column(String(8), default=MandateState.ACTIVE)
    first_collected_at: Mapped[datetime | None]

    bank_account = relationship("BankAccount")


class DirectDebit(CreatedAt, Base):
    """A pain.008 file for issued invoices, as it was handed to the bank."""

    __tablename__ = "direct_debits"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    collection_date: Mapped[date]
    total: Mapped[Decimal] = mapped_column(Money)
    count: Mapped[int]
    xml: Mapped[str] = mapped_column(Text)


class Invoice(CreatedAt, Base):
    """Immutable once issued; corrected by a credit note or a supplementary invoice."""

    __tablename__ = "invoices"
    __table_args__ = (one_of("kind", InvoiceKind), one_of("state", InvoiceState))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("billing_periods.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=InvoiceKind.INVOICE)
    state: Mapped[str] = mapped_column(String(8), default=InvoiceState.DRAFT)
    # 2026-000123; set when issued.
    number: Mapped[str | None] = mapped_column(String(11), unique=True)
    issued_at: Mapped[datetime | None]
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    net: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    vat: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    gross: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    reverse_charge: Mapped[bool] = mapped_column(default=False)
    # The buyer as invoiced (name, address, VAT ID), kept with the invoice.
    buyer: Mapped[dict] = mapped_column(JSON, default=dict)
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id"))
    direct_debit_id: Mapped[int | None] = mapped_column(ForeignKey("direct_debits.id"))
    collected_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    return_reason: Mapped[str] = mapped_column(Text, default="")

    member = relationship("Member")
    period = relationship("BillingPeriod")
    lines = relationship("InvoiceLine", back_populates="invoice", order_by="InvoiceLine.position")
    mandate = relationship("Mandate")

    @property
    def line_values(self) -> list[Line]:
        """The lines as values, as documents, pages and the API show them."""
        return [line.value() for line in self.lines]


class InvoiceLine(Base):
    """A Line of an invoice (billing/lines.py) as a row."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int]
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("cost_pools.id"))
    description: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(32), default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(16))
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    pool_amount: Mapped[Decimal | None] = mapped_column(Money)
    key_total: Mapped[Decimal | None] = mapped_column(Quantity)
    server_id: Mapped[int | None] = mapped_column(ForeignKey("servers.id"))
    exact_net: Mapped[Decimal] = mapped_column(Exact)
    net: Mapped[Decimal] = mapped_column(Money)
    vat_percent: Mapped[Decimal] = mapped_column(Percent)
    vat: Mapped[Decimal] = mapped_column(Money)

    invoice = relationship("Invoice", back_populates="lines")
    pool = relationship("CostPool")

    def value(self) -> Line:
        pool_name = self.pool.name if self.pool is not None else None
        return Line(**{name: getattr(self, name) for name in COLUMNS}, pool_name=pool_name)
