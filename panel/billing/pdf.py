"""An invoice as a PDF/A-3 document (weasyprint) with its Factur-X XML embedded as factur-x.xml,
in the current language. Rendering fetches nothing: the template brings its own styles and the
fonts are the system's."""

from babel.numbers import format_currency, format_decimal
from drafthorse.pdf import attach_xml
from flask import current_app, render_template
from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from panel.billing.einvoice import REVERSE_CHARGE, corrected, invoice_xml, month_span, tax_groups
from panel.billing.keys import unit_word
from panel.billing.models import Invoice, InvoiceKind
from panel.core.money import format_money

TITLES = {
    InvoiceKind.INVOICE: _l("Invoice"),
    InvoiceKind.SUPPLEMENTARY: _l("Supplementary invoice"),
    InvoiceKind.CREDIT_NOTE: _l("Credit note"),
}
SELLER_SETTINGS = (
    "COOP_NAME",
    "COOP_STREET",
    "COOP_POSTAL_CODE",
    "COOP_CITY",
    "COOP_COUNTRY",
    "COOP_VAT_ID",
    "COOP_EMAIL",
    "COOP_IBAN",
    "COOP_BIC",
    "SEPA_CREDITOR_ID",
)


class RefuseFetching(URLFetcher):
    """Refuses every URL, and stops the rendering, so no invoice depends on a server."""

    def fetch(self, url, headers=None):
        raise FatalURLFetchingError(f"an invoice PDF fetches nothing: {url}")


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as PDF/A-3b with its Factur-X (EN 16931) XML attached."""
    xml = invoice_xml(invoice)
    locale = str(get_locale() or "en")
    html = render_template("billing/invoice_pdf.html", **_context(invoice, locale))
    pdf = HTML(string=html, url_fetcher=RefuseFetching()).write_pdf(pdf_variant="pdf/a-3b")
    title = f"{TITLES[invoice.kind]} {invoice.number}"
    metadata = {
        "author": current_app.config["COOP_NAME"],
        "title": title,
        "subject": title,
        "keywords": "Factur-X",
        "creator": current_app.config["COOP_NAME"],
    }
    return attach_xml(pdf, xml, level="EN 16931", metadata=metadata, lang=locale)


def _context(invoice: Invoice, locale: str) -> dict:
    start, end = month_span(invoice.period.month)
    original = corrected(invoice)
    lines = invoice.line_values
    return {
        "invoice": invoice,
        "lines": lines,
        "title": TITLES[invoice.kind],
        "credit_note": invoice.kind == InvoiceKind.CREDIT_NOTE,
        "seller": {key: current_app.config[key] for key in SELLER_SETTINGS},
        "buyer": invoice.buyer,
        "issued_on": format_date(invoice.issued_at.date(), "medium"),
        "month": format_date(start, "MMMM yyyy"),
        "period": f"{format_date(start, 'medium')} – {format_date(end, 'medium')}",
        "corrected": original,
        "corrected_on": format_date(original.issued_at.date(), "medium")
        if original is not None and original.issued_at
        else "",
        "groups": tax_groups(lines, invoice.reverse_charge),
        "reverse_charge": REVERSE_CHARGE,
        "lang": locale.replace("_", "-"),
        "amount": lambda value: format_money(value, locale),
        "price": lambda value: format_currency(
            value.normalize(), "EUR", locale=locale, decimal_quantization=False
        ),
        "number": lambda value: format_decimal(
            value.normalize(), locale=locale, decimal_quantization=False
        ),
        "percent": lambda value: format_decimal(value.normalize(), locale=locale),
        "unit": unit_word,
    }
