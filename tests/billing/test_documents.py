"""Invoice documents: the Factur-X/XRechnung XML against the official schema and EN 16931's sums,
and the PDF/A-3 with that XML embedded, read back with poppler's tools."""

import re
import subprocess
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import drafthorse
import pytest
from flask_babel import force_locale
from lxml import etree
from pypdf import PdfReader
from weasyprint.urls import FatalURLFetchingError

from panel.billing import pdf as pdf_module
from panel.billing.einvoice import EInvoiceError, invoice_xml, xrechnung_xml
from panel.billing.models import (
    BankAccount,
    BillingPeriod,
    CostPool,
    Invoice,
    InvoiceLine,
    Mandate,
)
from panel.billing.operations import buyer_details
from panel.billing.pdf import invoice_pdf
from panel.billing.rating import percent_of
from panel.coop.models import Member
from panel.core.money import format_money
from panel.extensions import db

SCHEMA_DIR = Path(drafthorse.__file__).parent / "schema"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
XMP = {
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
}
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
TOTALS = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
MARCH = date(2026, 3, 1)
ISSUED = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)
# Net and VAT per line chosen so that the VAT per line adds up to the VAT of the net sum.
LINES = [
    ("Traffic", Decimal("12.345678901"), "GB", Decimal("0.5"), "Uplink"),
    ("Disk space", Decimal("1234.5"), "GB·h", Decimal("0.001234567890"), "Storage"),
    ("Membership fee", Decimal(1), "month", Decimal(5), None),
]


@pytest.fixture(scope="module")
def schema():
    """The official Factur-X 1.0.07 EN 16931 XSD, as drafthorse bundles it."""
    return etree.XMLSchema(file=str(SCHEMA_DIR / "Factur-X_1.0.07_EN16931.xsd"))


@pytest.fixture(scope="module")
def code_lists():
    """The code lists the Factur-X EN 16931 package ships (id 8: UN/ECE rec. 20 and 21 units)."""
    root = etree.parse(str(SCHEMA_DIR / "Factur-X_1.0.07_EN16931_codedb.xml")).getroot()
    return {cl.get("id"): {item.get("value") for item in cl} for cl in root}


@pytest.fixture
def seller(app, monkeypatch):
    settings = {
        "COOP_NAME": "Hosting-Genossenschaft eG",
        "COOP_STREET": "Hafenstraße 1",
        "COOP_POSTAL_CODE": "20457",
        "COOP_CITY": "Hamburg",
        "COOP_COUNTRY": "DE",
        "COOP_VAT_ID": "DE123456789",
        "COOP_EMAIL": "billing@coop.example",
        "COOP_IBAN": "DE02120300000000202051",
        "COOP_BIC": "BYLADEM1001",
        "SEPA_CREDITOR_ID": "DE98ZZZ09999999999",
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return settings


@pytest.fixture
def make_invoice(make_member, seller):
    """make_invoice(lines=..., **fields): an issued invoice of March 2026 as model rows, its
    lines as (description, quantity, unit, unit price, pool name or None)."""
    periods: list[BillingPeriod] = []
    numbers = iter(range(123, 999))

    def make(lines=LINES, kind="invoice", reverse_charge=False, member=None, **fields):
        member = member or make_member(street="Elbchaussee 5", postal_code="22763", city="Hamburg")
        if not periods:
            periods.append(BillingPeriod(month=MARCH, vat_percent=Decimal(19)))
            db.session.add(periods[0])
            db.session.flush()
        period = periods[0]
        invoice = Invoice(
            member_id=member.id,
            period_id=period.id,
            kind=kind,
            state="issued",
            number=f"2026-000{next(numbers)}",
            issued_at=ISSUED,
            reverse_charge=reverse_charge,
            buyer=buyer_details(member),
            **fields,
        )
        db.session.add(invoice)
        db.session.flush()
        percent = Decimal(0) if reverse_charge else period.vat_percent
        for position, (description, quantity, unit, price, pool_name) in enumerate(lines, 1):
            pool = None
            if pool_name:
                pool = CostPool(period_id=period.id, name=pool_name, amount=100, key="traffic")
                db.session.add(pool)
                db.session.flush()
            net = (quantity * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            vat = percent_of(net, percent)
            db.session.add(
                InvoiceLine(
                    invoice_id=invoice.id,
                    position=position,
                    pool_id=pool.id if pool else None,
                    description=description,
                    quantity=quantity,
                    unit=unit,
                    unit_price=price,
                    exact_net=quantity * price,
                    net=net,
                    vat_percent=percent,
                    vat=vat,
                )
            )
            invoice.net += net
            invoice.vat += vat
        invoice.gross = invoice.net + invoice.vat
        db.session.commit()
        return invoice

    return make


@pytest.fixture
def mandate(make_member):
    member = make_member()
    account = BankAccount(
        member_id=member.id, holder=member.name, iban="DE89370400440532013000", bic="COBADEFFXXX"
    )
    db.session.add(account)
    db.session.flush()
    mandate = Mandate(
        member_id=member.id,
        bank_account_id=account.id,
        reference="QAA-MANDATE-1",
        signed_on=date(2026, 1, 15),
    )
    db.session.add(mandate)
    db.session.commit()
    return mandate


def parse(xml: bytes, schema) -> etree._Element:
    """The document, after the official schema accepted it."""
    root = etree.fromstring(xml)
    schema.assertValid(root)
    return root


def text(root, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    assert len(found) == 1, f"{path}: {len(found)} found"
    return found[0].text


def amount(root, path: str) -> Decimal:
    return Decimal(text(root, path))


def test_invoice_xml_validates_and_carries_the_invoice_and_its_sums(
    make_invoice, schema, code_lists
):
    invoice = make_invoice()
    root = parse(invoice_xml(invoice), schema)

    assert text(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == EN16931
    assert text(root, "//rsm:ExchangedDocument/ram:ID") == invoice.number
    assert text(root, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert text(root, "//ram:IssueDateTime/udt:DateTimeString") == "20260402"
    assert amount(root, f"{TOTALS}/ram:LineTotalAmount") == invoice.net == Decimal("12.69")
    assert amount(root, f"{TOTALS}/ram:TaxBasisTotalAmount") == invoice.net
    assert amount(root, f"{TOTALS}/ram:TaxTotalAmount") == invoice.vat == Decimal("2.41")
    assert amount(root, f"{TOTALS}/ram:GrandTotalAmount") == invoice.gross == Decimal("15.10")
    assert amount(root, f"{TOTALS}/ram:DuePayableAmount") == invoice.gross
    assert text(root, f"{SETTLEMENT}/ram:InvoiceCurrencyCode") == "EUR"
    tax = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert text(root, f"{tax}/ram:CategoryCode") == "S"
    assert amount(root, f"{tax}/ram:RateApplicablePercent") == 19
    assert amount(root, f"{tax}/ram:BasisAmount") == invoice.net
    assert amount(root, f"{tax}/ram:CalculatedAmount") == invoice.vat
    period = f"{SETTLEMENT}/ram:BillingSpecifiedPeriod"
    assert text(root, f"{period}/ram:StartDateTime/udt:DateTimeString") == "20260301"
    assert text(root, f"{period}/ram:EndDateTime/udt:DateTimeString") == "20260331"

    items = root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
    assert len(items) == len(invoice.lines) == 3
    found = {}
    for item, line in zip(items, invoice.lines, strict=True):
        quantity = item.xpath("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", namespaces=NS)
        price = item.xpath(".//ram:NetPriceProductTradePrice/ram:ChargeAmount", namespaces=NS)
        net = item.xpath(".//ram:LineTotalAmount", namespaces=NS)
        name = item.xpath("ram:SpecifiedTradeProduct/ram:Name", namespaces=NS)[0].text
        # Quantities and prices keep every place the ledger and the rating gave them.
        assert Decimal(quantity[0].text) == line.quantity
        assert Decimal(price[0].text) == line.unit_price
        assert Decimal(net[0].text) == line.net
        assert quantity[0].get("unitCode") in code_lists["8"]
        found[name] = quantity[0].get("unitCode")
    assert found == {"Traffic": "E34", "Disk space (GB·h)": "C62", "Membership fee": "MON"}
    line_nets = root.xpath(
        "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", namespaces=NS
    )
    assert sum(Decimal(net.text) for net in line_nets) == invoice.net

    seller = "//ram:SellerTradeParty"
    assert text(root, f"{seller}/ram:Name") == "Hosting-Genossenschaft eG"
    assert text(root, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID") == "DE123456789"
    assert text(root, "//ram:BuyerTradeParty/ram:ID") == invoice.buyer["number"]
    assert text(root, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CityName") == "Hamburg"
    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert text(root, f"{means}/ram:TypeCode") == "58"
    assert text(root, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == (
        "DE02120300000000202051"
    )
    assert text(root, f"{SETTLEMENT}/ram:PaymentReference") == invoice.number


def test_xrechnung_is_the_same_invoice_under_its_guideline(make_invoice, schema):
    invoice = make_invoice()
    root = parse(xrechnung_xml(invoice), schema)
    factur_x = parse(invoice_xml(invoice), schema)

    assert text(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == XRECHNUNG
    assert text(root, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == (
        "urn:fdc:peppol.eu:2017:poacc:billing:01.0"
    )
    assert text(root, "//ram:BuyerReference") == invoice.buyer["number"]
    for name in ("LineTotalAmount", "TaxTotalAmount", "GrandTotalAmount", "DuePayableAmount"):
        assert text(root, f"{TOTALS}/ram:{name}") == text(factur_x, f"{TOTALS}/ram:{name}")


def test_credit_note_is_type_381_and_refers_to_the_invoice_it_corrects(make_invoice, schema):
    original = make_invoice()
    credit = make_invoice(
        lines=[("Traffic counted twice", Decimal(1), "EUR", Decimal("4.20"), None)],
        kind="credit_note",
        corrects_id=original.id,
    )
    root = parse(invoice_xml(credit), schema)

    assert text(root, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    reference = f"{SETTLEMENT}/ram:InvoiceReferencedDocument"
    assert text(root, f"{reference}/ram:IssuerAssignedID") == original.number
    assert text(root, f"{reference}/ram:FormattedIssueDateTime/qdt:DateTimeString") == "20260402"
    # EN 16931 states a credit note's amounts as positive, as they are stored.
    assert amount(root, f"{TOTALS}/ram:GrandTotalAmount") == credit.gross == Decimal("5.00")
    assert text(root, "//ram:SpecifiedTradeProduct/ram:Name") == "Traffic counted twice (EUR)"


def test_reverse_charge_is_category_ae_at_zero_percent_with_the_exemption(
    make_invoice, make_member, schema
):
    member = make_member(kind="legal", vat_id="ATU13585627", country="AT", city="Wien")
    invoice = make_invoice(member=member, reverse_charge=True)
    root = parse(invoice_xml(invoice), schema)

    tax = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert text(root, f"{tax}/ram:CategoryCode") == "AE"
    assert amount(root, f"{tax}/ram:RateApplicablePercent") == 0
    assert amount(root, f"{tax}/ram:CalculatedAmount") == 0
    assert amount(root, f"{tax}/ram:BasisAmount") == invoice.net == invoice.gross
    assert text(root, f"{tax}/ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert "reverse charge" in text(root, f"{tax}/ram:ExemptionReason")
    categories = root.xpath(
        "//ram:SpecifiedLineTradeSettlement//ram:CategoryCode/text()", namespaces=NS
    )
    assert categories == ["AE", "AE", "AE"]
    assert text(root, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "ATU13585627"
    assert "Leistungsempfängers" in text(
        root, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content"
    )


def test_direct_debit_carries_mandate_creditor_and_debtor_account(make_invoice, mandate, schema):
    member = db.session.get(Member, mandate.member_id)
    invoice = make_invoice(member=member, mandate_id=mandate.id)
    root = parse(invoice_xml(invoice), schema)

    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert text(root, f"{means}/ram:TypeCode") == "59"
    assert text(root, f"{means}/ram:PayerPartyDebtorFinancialAccount/ram:IBANID") == (
        "DE89370400440532013000"
    )
    assert text(root, f"{SETTLEMENT}/ram:CreditorReferenceID") == "DE98ZZZ09999999999"
    assert text(root, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID") == (
        "QAA-MANDATE-1"
    )


def test_vat_summed_per_line_that_breaks_en16931_is_refused(make_invoice):
    # Three lines of 0.03 € have 0.01 € VAT each; 19 % of their 0.09 € is 0.02 € (BR-CO-17).
    cent_lines = [(f"Line {n}", Decimal(1), "requests", Decimal("0.03"), None) for n in range(3)]
    invoice = make_invoice(lines=cent_lines)
    with pytest.raises(EInvoiceError, match="BR-CO-17"):
        invoice_xml(invoice)


def test_a_document_the_schema_refuses_is_not_returned(make_invoice):
    invoice = make_invoice(lines=[("Fee", Decimal(1), "month", Decimal(5), None)])
    with db.session.no_autoflush:
        invoice.lines[0].quantity = Decimal("NaN")
        with pytest.raises(etree.XMLSyntaxError, match="BilledQuantity"):
            invoice_xml(invoice)


def test_an_unissued_invoice_has_no_document(make_invoice):
    invoice = make_invoice()
    invoice.number = None
    with pytest.raises(EInvoiceError):
        invoice_xml(invoice)


def pdf_text(path: Path) -> str:
    """The PDF's text as pdftotext reads it, whitespace (and no-break spaces) made single."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=30)
    return re.sub(r"\s+", " ", out.stdout.decode().replace("\xa0", " "))


def detach(path: Path) -> tuple[str, bytes]:
    """pdfdetach's list of the PDF's embedded files, and the first of them."""
    listing = subprocess.run(
        ["pdfdetach", "-list", str(path)], capture_output=True, check=True, timeout=30
    ).stdout.decode()
    target = path.with_suffix(".xml")
    subprocess.run(
        ["pdfdetach", "-save", "1", "-o", str(target), str(path)], check=True, timeout=30
    )
    return listing, target.read_bytes()


def test_pdf_is_pdf_a3_with_the_factur_x_xml_and_shows_the_invoice(make_invoice, schema, tmp_path):
    invoice = make_invoice()
    path = tmp_path / "invoice.pdf"
    path.write_bytes(invoice_pdf(invoice))

    assert path.read_bytes().startswith(b"%PDF-")
    shown = pdf_text(path)
    assert invoice.number in shown
    assert format_money(invoice.gross, "en") in shown.replace(" ", "")
    for expected in ("Hosting-Genossenschaft eG", invoice.buyer["name"], "March 2026", "Uplink"):
        assert expected in shown
    assert "12.345678901" in shown and "0.00123456789" in shown
    assert "DE02120300000000202051" in shown

    listing, attached = detach(path)
    assert "factur-x.xml" in listing
    assert attached == invoice_xml(invoice)
    parse(attached, schema)

    reader = PdfReader(str(path))
    catalog = reader.trailer["/Root"]
    xmp = etree.fromstring(catalog["/Metadata"].get_object().get_data())
    assert xmp.xpath("//pdfaid:part/text()", namespaces=XMP) == ["3"]
    assert xmp.xpath("//fx:DocumentFileName/text()", namespaces=XMP) == ["factur-x.xml"]
    assert xmp.xpath("//fx:ConformanceLevel/text()", namespaces=XMP) == ["EN 16931"]
    filespec = catalog["/AF"][0].get_object()
    assert filespec["/AFRelationship"] == "/Alternative"
    assert filespec["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"


def test_pdf_in_german_with_reverse_charge_and_a_buyer_name_that_looks_like_markup(
    make_invoice, make_member, tmp_path
):
    member = make_member(
        kind="legal",
        name='<img src="http://127.0.0.1:9/logo.png"> Müller & Co',
        vat_id="ATU13585627",
        country="AT",
    )
    invoice = make_invoice(member=member, reverse_charge=True)
    path = tmp_path / "rechnung.pdf"
    with force_locale("de"):
        path.write_bytes(invoice_pdf(invoice))
    shown = pdf_text(path)

    assert invoice.number in shown
    assert "12,69 €" in shown and "März 2026" in shown
    assert '<img src="http://127.0.0.1:9/logo.png"> Müller & Co' in shown
    assert "Leistungsempfängers" in shown and "ATU13585627" in shown


def test_pdf_rendering_fetches_nothing(make_invoice, monkeypatch):
    # Any URL stops the rendering, so the PDFs above, rendered in full, fetched nothing.
    invoice = make_invoice()
    monkeypatch.setattr(
        pdf_module,
        "render_template",
        lambda *args, **kwargs: '<p>x</p><img src="http://127.0.0.1:9/logo.png">',
    )
    with pytest.raises(FatalURLFetchingError):
        invoice_pdf(invoice)
