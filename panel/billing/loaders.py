"""The one way the pages and the API load billing records by id, with the access check and one
404 in the request's language; and which invoices a user sees at all."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, select

from panel.billing.models import (
    BankAccount,
    BillingPeriod,
    CostPool,
    DirectDebit,
    Invoice,
    InvoiceState,
    Mandate,
)
from panel.core.access import load, scope_to_member
from panel.core.errors import NotFound
from panel.core.roles import Role


def visible_invoices() -> Select:
    """Members see what was issued to them; drafts are the office's work in progress."""
    query = scope_to_member(select(Invoice), Invoice.member_id)
    if current_user.role != Role.ADMIN:
        query = query.where(Invoice.state == InvoiceState.ISSUED)
    return query


def load_invoice(invoice_id: int, *, change: bool = False) -> Invoice:
    """A draft is missing for everyone but the office, as in visible_invoices()."""
    invoice = load(Invoice, invoice_id, _l("No such invoice."), change=change)
    if invoice.state != InvoiceState.ISSUED and current_user.role != Role.ADMIN:
        raise NotFound(_l("No such invoice."))
    return invoice


def load_period(period_id: int) -> BillingPeriod:
    return load(BillingPeriod, period_id, _l("No such billing period."))


def load_pool(pool_id: int) -> CostPool:
    return load(CostPool, pool_id, _l("No such cost pool."))


def load_direct_debit(debit_id: int) -> DirectDebit:
    return load(DirectDebit, debit_id, _l("No such direct debit."))


def load_bank_account(account_id: int, *, change: bool = False) -> BankAccount:
    return load(BankAccount, account_id, _l("No such bank account."), change=change)


def load_mandate(mandate_id: int, *, change: bool = False) -> Mandate:
    return load(Mandate, mandate_id, _l("No such mandate."), change=change)
