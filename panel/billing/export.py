"""The member's invoices in its data export, each issued one also as its PDF (with its Factur-X
XML inside) and as XRechnung XML; its bank accounts and direct-debit mandates. Drafts are the
office's work in progress and stay out, as on the member's pages."""

from dataclasses import asdict

from sqlalchemy import select

from panel.billing import einvoice
from panel.billing.models import BankAccount, Invoice, InvoiceState, Mandate
from panel.core.export import fields_of, member_rows
from panel.extensions import db

INVOICE_FIELDS = (
    "id",
    "number",
    "kind",
    "issued_at",
    "net",
    "vat",
    "gross",
    "reverse_charge",
    "buyer",
    "collected_at",
    "returned_at",
    "return_reason",
)
BANK_ACCOUNT_FIELDS = ("id", "holder", "iban", "bic", "created_at")
MANDATE_FIELDS = (
    "id",
    "bank_account_id",
    "reference",
    "signed_on",
    "state",
    "first_collected_at",
    "created_at",
)


def _invoice(invoice: Invoice) -> dict:
    corrected = einvoice.corrected(invoice)
    return {
        **fields_of(invoice, INVOICE_FIELDS),
        "month": invoice.period.month,
        "corrects": corrected.number if corrected else None,
        "lines": [asdict(line) for line in invoice.line_values],
    }


def billing_part(member) -> dict:
    # weasyprint loads Pango when imported: only where a PDF is made, not in every process.
    from panel.billing import pdf

    invoices = db.session.scalars(
        select(Invoice)
        .where(Invoice.member_id == member.id, Invoice.state == InvoiceState.ISSUED)
        .order_by(Invoice.id)
    ).all()
    part: dict = {"invoices.json": [_invoice(invoice) for invoice in invoices]}
    for invoice in invoices:
        part[f"invoices/{invoice.number}.pdf"] = pdf.invoice_pdf(invoice)
        part[f"invoices/{invoice.number}.xml"] = einvoice.xrechnung_xml(invoice)
    for name, model, names in (
        ("bank_accounts.json", BankAccount, BANK_ACCOUNT_FIELDS),
        ("mandates.json", Mandate, MANDATE_FIELDS),
    ):
        part[name] = member_rows(model, member, names)
    return part
