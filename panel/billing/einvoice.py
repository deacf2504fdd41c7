"""Invoices as EN 16931 e-invoices in the UN/CEFACT CII syntax (drafthorse): the Factur-X/ZUGFeRD
XML that goes into the PDF, and the same data as an XRechnung for public-sector recipients.

Every document is validated against the official Factur-X EN 16931 XSD before it leaves here (an
invalid one raises lxml's XMLSyntaxError), and its sums are checked against EN 16931's arithmetic
rules (BR-CO-10 to BR-CO-17), which no XSD can express and receiving validators reject an invoice
for (EInvoiceError)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem
from flask import current_app

from panel.billing.lines import Line
from panel.billing.models import Invoice, InvoiceKind
from panel.billing.rating import percent_of
from panel.core.money import CENT
from panel.extensions import db

CURRENCY = "EUR"
PROFILES = {
    "EN16931": "urn:cen.eu:en16931:2017",
    "XRECHNUNG": "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
}
# XRechnung expects the Peppol billing process (BT-23); Factur-X leaves it out.
XRECHNUNG_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01.0"
SCHEMA = "FACTUR-X_EN16931"

# UN/ECE recommendation 20 codes of the units lines are billed in. Units without a code of their
# own (byte-hours, GB-hours) are billed as "C62" (one) with the unit added to the item's name, so
# the quantity still reads right; so is any unit this list does not know.
UNIT_CODES = {
    "B": "AD",
    "GB": "E34",
    "s": "SEC",
    "h": "HUR",
    "month": "MON",
    "requests": "C62",
    "members": "C62",
    "webspaces": "C62",
    "domains": "C62",
}
ONE = "C62"

TYPE_INVOICE = "380"
TYPE_CREDIT_NOTE = "381"
STANDARD = "S"
REVERSE_CHARGE = "AE"
REVERSE_CHARGE_CODE = "VATEX-EU-AE"
REVERSE_CHARGE_TEXT = "Steuerschuldnerschaft des Leistungsempfängers (reverse charge)"
SEPA_CREDIT_TRANSFER = "58"
SEPA_DIRECT_DEBIT = "59"
# A refund without a known account of the member's: how it is paid is not part of the document.
NOT_DEFINED = "1"


class EInvoiceError(ValueError):
    """The invoice cannot be expressed as a valid EN 16931 e-invoice."""


@dataclass(frozen=True)
class TaxGroup:
    category: str
    percent: Decimal
    basis: Decimal
    tax: Decimal


def invoice_xml(invoice: Invoice, profile: str = "EN16931") -> bytes:
    """The invoice as CII XML of the profile (EN16931 for Factur-X, XRECHNUNG), validated."""
    if profile not in PROFILES:
        raise ValueError(f"unknown e-invoice profile: {profile}")
    if not invoice.number or not invoice.issued_at:
        raise EInvoiceError("only an issued invoice has a number and a date")
    lines = invoice.line_values
    groups = tax_groups(lines, invoice.reverse_charge)
    _check_sums(invoice, groups)

    document = Document()
    document.context.guideline_parameter.id = PROFILES[profile]
    if profile == "XRECHNUNG":
        document.context.business_parameter.id = XRECHNUNG_PROCESS
    document.header.id = invoice.number
    document.header.type_code = type_code(invoice)
    document.header.issue_date_time = invoice.issued_at.date()
    if invoice.reverse_charge:
        document.header.notes.add(IncludedNote(content=REVERSE_CHARGE_TEXT))

    _agreement(document, invoice)
    for line in lines:
        document.trade.items.add(_line_item(line, invoice.reverse_charge))
    _settlement(document, invoice, groups)
    return document.serialize(schema=SCHEMA)


def xrechnung_xml(invoice: Invoice) -> bytes:
    """The same CII data under the XRechnung 3.0 guideline, for public-sector recipients."""
    return invoice_xml(invoice, profile="XRECHNUNG")


def type_code(invoice: Invoice) -> str:
    """381 for a credit note, whose amounts are stored and stated as positive; 380 otherwise (a
    supplementary invoice is an invoice of its own that refers to the one it adds to)."""
    return TYPE_CREDIT_NOTE if invoice.kind == InvoiceKind.CREDIT_NOTE else TYPE_INVOICE


def corrected(invoice: Invoice) -> Invoice | None:
    """The invoice a credit note or a supplementary invoice corrects."""
    return db.session.get(Invoice, invoice.corrects_id) if invoice.corrects_id else None


def unit_code(unit: str) -> str:
    return UNIT_CODES.get(unit, ONE)


def tax_groups(lines: list[Line], reverse_charge: bool) -> list[TaxGroup]:
    """The VAT breakdown: net and VAT of the lines summed per category and rate, as stored."""
    sums: dict[tuple[str, Decimal], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in lines:
        key = _category(line.vat_percent, reverse_charge)
        sums[key][0] += line.net
        sums[key][1] += line.vat
    return [
        TaxGroup(category, percent, basis, tax)
        for (category, percent), (basis, tax) in sorted(sums.items())
    ]


def _category(percent: Decimal, reverse_charge: bool) -> tuple[str, Decimal]:
    if reverse_charge:
        return REVERSE_CHARGE, Decimal(0)
    if percent <= 0:
        # S needs a rate above zero (BR-S-05); exempt or zero-rated lines would need a category
        # and an exemption reason of their own, which no line has.
        raise EInvoiceError("a line without VAT outside reverse charge has no VAT category")
    return STANDARD, percent


def _check_sums(invoice: Invoice, groups: list[TaxGroup]) -> None:
    """The sums EN 16931 requires, which a receiving validator rejects the invoice for."""
    net = sum((group.basis for group in groups), Decimal(0))
    vat = sum((group.tax for group in groups), Decimal(0))
    if net != invoice.net or vat != invoice.vat or invoice.net + invoice.vat != invoice.gross:
        raise EInvoiceError(
            f"invoice {invoice.number}: net {invoice.net}, VAT {invoice.vat}, gross "
            f"{invoice.gross} are not the sums of its lines (net {net}, VAT {vat})"
        )
    for group in groups:
        expected = percent_of(group.basis, group.percent)
        if group.tax != expected:
            raise EInvoiceError(
                f"invoice {invoice.number}: VAT at {group.percent} % is {group.tax}, EN 16931 "
                f"(BR-CO-17) requires {expected}, the rate applied to the net sum {group.basis}"
            )


def _agreement(document: Document, invoice: Invoice) -> None:
    config = current_app.config
    buyer = invoice.buyer
    agreement = document.trade.agreement
    # BT-10: XRechnung requires a buyer reference; without a Leitweg-ID the member number.
    agreement.buyer_reference = buyer["number"]

    seller = agreement.seller
    seller.name = config["COOP_NAME"]
    seller.contact.department_name = "Billing"
    seller.contact.email.address = config["COOP_EMAIL"]
    _address(seller.address, config["COOP_STREET"], config["COOP_POSTAL_CODE"], config["COOP_CITY"])
    seller.address.country_id = config["COOP_COUNTRY"]
    seller.electronic_address.uri_ID = ("EM", config["COOP_EMAIL"])
    if config["COOP_VAT_ID"]:
        seller.tax_registrations.add(TaxRegistration(id=("VA", config["COOP_VAT_ID"])))

    party = agreement.buyer
    party.id = buyer["number"]
    party.name = buyer["name"]
    _address(party.address, buyer.get("street"), buyer.get("postal_code"), buyer.get("city"))
    party.address.country_id = buyer.get("country") or "DE"
    if buyer.get("email"):
        party.electronic_address.uri_ID = ("EM", buyer["email"])
    if buyer.get("vat_id"):
        party.tax_registrations.add(TaxRegistration(id=("VA", buyer["vat_id"])))


def _address(address, street: str | None, postal_code: str | None, city: str | None) -> None:
    # Empty strings stay out of the document: drafthorse leaves out empty elements.
    address.line_one = street or ""
    address.postcode = postal_code or ""
    address.city_name = city or ""


def _line_item(line: Line, reverse_charge: bool) -> LineItem:
    item = LineItem()
    item.document.line_id = str(line.position)
    code = unit_code(line.unit)
    name = line.description
    if line.unit not in UNIT_CODES:
        name = f"{name} ({line.unit})"
    item.product.name = name
    if line.pool_name is not None:
        item.product.description = line.pool_name
    item.agreement.net.amount = plain(line.unit_price)
    item.delivery.billed_quantity = (plain(line.quantity), code)
    category, percent = _category(line.vat_percent, reverse_charge)
    item.settlement.trade_tax.type_code = "VAT"
    item.settlement.trade_tax.category_code = category
    item.settlement.trade_tax.rate_applicable_percent = money(percent)
    item.settlement.monetary_summation.total_amount = money(line.net)
    return item


def _settlement(document: Document, invoice: Invoice, groups: list[TaxGroup]) -> None:
    settlement = document.trade.settlement
    settlement.currency_code = CURRENCY
    settlement.payment_reference = invoice.number
    _payment(settlement, invoice)

    for group in groups:
        tax = ApplicableTradeTax()
        tax.calculated_amount = money(group.tax)
        tax.type_code = "VAT"
        if group.category == REVERSE_CHARGE:
            tax.exemption_reason = REVERSE_CHARGE_TEXT
        tax.basis_amount = money(group.basis)
        tax.category_code = group.category
        if group.category == REVERSE_CHARGE:
            tax.exemption_reason_code = REVERSE_CHARGE_CODE
        tax.rate_applicable_percent = money(group.percent)
        settlement.trade_tax.add(tax)

    start, end = month_span(invoice.period.month)
    settlement.period.start = start
    settlement.period.end = end

    totals = settlement.monetary_summation
    totals.line_total = money(invoice.net)
    totals.tax_basis_total = (money(invoice.net), None)
    totals.tax_total = (money(invoice.vat), CURRENCY)
    totals.grand_total = (money(invoice.gross), None)
    totals.due_amount = money(invoice.gross)

    original = corrected(invoice)
    if original is not None:
        reference = settlement.invoice_referenced_document
        reference.issuer_assigned_id = original.number
        if original.issued_at is not None:
            reference.issue_date_time = original.issued_at.date()


def _payment(settlement, invoice: Invoice) -> None:
    """Direct debit where the member gave a mandate, else a transfer to the cooperative; a
    credit note's money goes the other way, to the member's account where one is known."""
    config = current_app.config
    means = PaymentMeans()
    terms = PaymentTerms()
    account = invoice.mandate.bank_account if invoice.mandate is not None else None
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        if account is not None:
            means.type_code = SEPA_CREDIT_TRANSFER
            means.payee_account.iban = account.iban
            terms.description = f"Refund by SEPA credit transfer to {account.iban}"
        else:
            means.type_code = NOT_DEFINED
            terms.description = "Refund of the credited amount"
    elif account is not None:
        means.type_code = SEPA_DIRECT_DEBIT
        means.payer_account.iban = account.iban
        settlement.creditor_reference_id = config["SEPA_CREDITOR_ID"]
        terms.debit_mandate_id = invoice.mandate.reference
        terms.description = (
            f"SEPA direct debit, mandate {invoice.mandate.reference}, "
            f"creditor ID {config['SEPA_CREDITOR_ID']}"
        )
    else:
        means.type_code = SEPA_CREDIT_TRANSFER
        means.payee_account.iban = config["COOP_IBAN"]
        means.payee_institution.bic = config["COOP_BIC"]
        terms.description = (
            f"SEPA credit transfer to {config['COOP_IBAN']}, quoting {invoice.number}"
        )
    settlement.payment_means.add(means)
    settlement.terms.add(terms)


def month_span(month: date) -> tuple[date, date]:
    """The first and the last day of the month (EN 16931's invoicing period includes its end)."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def money(value: Decimal) -> str:
    return format(value.quantize(CENT), "f")


def plain(value: Decimal) -> str:
    """A decimal as XML Schema writes it: no exponent, no trailing zeros."""
    return format(value.normalize(), "f")
