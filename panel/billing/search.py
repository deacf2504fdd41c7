"""Invoices in the admins' search, by their number."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.billing.models import Invoice
from panel.core.labels import label
from panel.core.listing import matching
from panel.core.search import Finder, Hit
from panel.extensions import db


def find_invoices(text: str, limit: int) -> list[Hit]:
    rows = db.session.scalars(
        select(Invoice)
        .where(matching(text, (Invoice.number,)))
        .order_by(Invoice.number)
        .limit(limit)
    )
    return [
        Hit(
            invoice.number,
            url_for("billing.invoice", invoice_id=invoice.id),
            f"{invoice.buyer.get('number', '')} {invoice.buyer.get('name', '')} · "
            f"{label(invoice.kind)}",
        )
        for invoice in rows
    ]


INVOICES = Finder(_l("Invoices"), find_invoices, 40)
