"""SEPA direct debit: bank accounts and mandates, pain.008 files for issued invoices, collected
and returned invoices, and their pages. Invoices are written as rows directly."""

from datetime import timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path

import pytest
import sepaxml
from confirmations import confirmation
from lxml import etree
from sqlalchemy import func, select, update

from panel.billing import payments
from panel.billing.models import BankAccount, DirectDebit, Invoice, Mandate
from panel.core.audit import AuditEntry, acting
from panel.core.errors import Conflict, ValidationFailed
from panel.core.models import utcnow
from panel.extensions import db

XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
# Widely used example IBANs with valid check digits, at Commerzbank Köln (COBADEFFXXX), ING
# (INGDDEFFXXX) and DKB (BYLADEM1001).
COMMERZBANK = "DE89370400440532013000"
ING = "DE12500105170648489890"
DKB = "DE02120300000000202051"
# An Austrian bank code that schwifty's registry does not know: no BIC can be derived.
AUSTRIA = "AT611904300234573201"
CREDITOR_ID = "DE98ZZZ09999999999"


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def tomorrow():
    return utcnow().date() + timedelta(days=1)


@pytest.fixture(autouse=True)
def creditor(app, monkeypatch):
    """The cooperative's creditor settings; the BIC is left to be derived from its IBAN."""
    monkeypatch.setitem(app.config, "COOP_IBAN", DKB)
    monkeypatch.setitem(app.config, "COOP_BIC", "")
    monkeypatch.setitem(app.config, "SEPA_CREDITOR_ID", CREDITOR_ID)


@pytest.fixture
def member_of(make_member):
    """member_of(prefix): a member whose login has no password; the tests log in without one,
    and hashing one takes a noticeable part of a second."""
    return lambda prefix: make_member(prefix, password=None)


@pytest.fixture
def invoice_row(period):
    """invoice_row(member, gross, kind=..., state=...): an invoice as the billing run leaves it,
    naming the member's active mandate."""
    numbers = count(1)

    def make(member, gross, kind="invoice", state="issued", target=period) -> Invoice:
        issued = state == "issued"
        mandate = db.session.scalar(
            select(Mandate.id).where(Mandate.member_id == member.id, Mandate.state == "active")
        )
        invoice = Invoice(
            mandate_id=mandate,
            member_id=member.id,
            period_id=target.id,
            kind=kind,
            state=state,
            number=f"{utcnow().year}-9{next(numbers):05d}" if issued else None,
            issued_at=utcnow() if issued else None,
            net=Decimal(gross),
            vat=Decimal(0),
            gross=Decimal(gross),
            buyer={"number": member.number, "name": member.name},
        )
        db.session.add(invoice)
        db.session.commit()
        return invoice

    return make


@pytest.fixture
def payer(member_of):
    """payer(prefix, iban): a member with a bank account and an active mandate."""

    def make(prefix: str, iban: str = COMMERZBANK):
        member = member_of(prefix)
        with acting("cli"):
            account = payments.add_bank_account(member, f"Holder {prefix}", iban)
            mandate = payments.create_mandate(member, account, utcnow().date())
        return member, mandate

    return make


def parse(debit: DirectDebit):
    return etree.fromstring(debit.xml.encode())


def group_header(document) -> tuple[str, str]:
    header = document.find("p:CstmrDrctDbtInitn/p:GrpHdr", NS)
    return header.findtext("p:CtrlSum", namespaces=NS), header.findtext("p:NbOfTxs", namespaces=NS)


def batches(document) -> dict[str, dict]:
    """The payment information blocks by sequence type: sums, counts and transactions."""
    found = {}
    for block in document.iterfind("p:CstmrDrctDbtInitn/p:PmtInf", NS):
        sequence = block.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS)
        found[sequence] = {
            "sum": block.findtext("p:CtrlSum", namespaces=NS),
            "count": block.findtext("p:NbOfTxs", namespaces=NS),
            "date": block.findtext("p:ReqdColltnDt", namespaces=NS),
            "creditor": block.findtext("p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS),
            "transactions": [
                {
                    "end_to_end": tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
                    "amount": tx.findtext("p:InstdAmt", namespaces=NS),
                    "mandate": tx.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=NS),
                    "iban": tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
                    "bic": tx.findtext("p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS),
                }
                for tx in block.iterfind("p:DrctDbtTxInf", NS)
            ],
        }
    return found


def assert_valid(debit: DirectDebit) -> None:
    """Valid against sepaxml's bundled pain.008.001.02 schema, checked here with lxml."""
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = parse(debit)
    assert schema.validate(document), schema.error_log


# Bank accounts.


def test_an_iban_is_stored_compact_with_the_bic_derived_from_it(member_of):
    member = member_of("sea")
    with acting("cli"):
        account = payments.add_bank_account(member, " Sea Member ", "de89 3704 0044 0532 0130 00")
    assert (account.holder, account.iban, account.bic) == (
        "Sea Member",
        COMMERZBANK,
        "COBADEFFXXX",
    )
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "billing.bank_account.add")
    )
    assert entry.member_id == member.id
    assert entry.after["iban"] == COMMERZBANK


@pytest.mark.parametrize(
    ("iban", "bic", "stored"),
    [
        (COMMERZBANK, "cobadeff", "COBADEFF"),
        (COMMERZBANK, "COBADEFF370", "COBADEFF370"),  # a branch of the same bank
        (AUSTRIA, "BKAUATWW", "BKAUATWW"),  # bank unknown to schwifty: same country suffices
    ],
)
def test_a_given_bic_of_the_ibans_bank_is_kept(member_of, iban, bic, stored):
    with acting("cli"):
        account = payments.add_bank_account(member_of("seb"), "Holder", iban, bic)
    assert account.bic == stored


@pytest.mark.parametrize(
    ("field", "holder", "iban", "bic", "message"),
    [
        ("iban", "Holder", "DE89370400440532013001", "", "check digits"),
        ("iban", "Holder", "XX89370400440532013000", "", "country code"),
        ("iban", "Holder", "DE8937040044053201300", "", "length"),
        ("iban", "Holder", "not an iban", "", "valid IBAN"),
        ("iban", "Holder", "BR1800360305000010009795493C1", "", "SEPA"),
        ("iban", "Holder", "", "", "empty"),
        ("bic", "Holder", COMMERZBANK, "DEUTDEFF", "does not belong"),
        ("bic", "Holder", COMMERZBANK, "COBADE", "valid BIC"),
        ("bic", "Holder", COMMERZBANK, "CO8ADEFF", "valid BIC"),  # no digits in pain.008.001.02
        ("bic", "Holder", AUSTRIA, "COBADEFF", "another country"),
        ("bic", "Holder", AUSTRIA, "", "cannot be derived"),
        ("holder", "", COMMERZBANK, "", "empty"),
        ("holder", "x" * 71, COMMERZBANK, "", "70"),
    ],
)
def test_bad_account_details_are_refused_and_nothing_is_written(
    member_of, field, holder, iban, bic, message
):
    member = member_of("sec")
    before = rows(BankAccount), rows(AuditEntry)
    with acting("cli"), pytest.raises(ValidationFailed) as refused:
        payments.add_bank_account(member, holder, iban, bic)
    assert list(refused.value.fields) == [field]
    assert message in refused.value.fields[field][0]
    assert (rows(BankAccount), rows(AuditEntry)) == before


def test_the_same_account_twice_is_refused(member_of):
    member = member_of("sed")
    with acting("cli"):
        payments.add_bank_account(member, "Holder", COMMERZBANK)
        with pytest.raises(Conflict) as refused:
            payments.add_bank_account(member, "Holder", "DE89 3704 0044 0532 0130 00")
    assert "iban" in refused.value.fields
    assert rows(BankAccount) == 1


def test_an_account_is_removed_only_while_no_mandate_names_it(member_of):
    member = member_of("see")
    with acting("cli"):
        kept = payments.add_bank_account(member, "Holder", COMMERZBANK)
        spare = payments.add_bank_account(member, "Holder", ING)
        mandate = payments.create_mandate(member, kept, utcnow().date())
        with pytest.raises(Conflict, match="revoke the mandate first"):
            payments.remove_bank_account(kept)
        payments.revoke_mandate(mandate)
        with pytest.raises(Conflict, match="kept with their records"):
            payments.remove_bank_account(kept)
        payments.remove_bank_account(spare)
    assert db.session.scalars(select(BankAccount.id)).all() == [kept.id]
    assert (
        db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "billing.bank_account.remove")
        ).before["iban"]
        == ING
    )


# Mandates.


def test_a_mandate_gets_a_unique_reference_and_one_member_one_active_mandate(member_of):
    member = member_of("sef")
    with acting("cli"):
        account = payments.add_bank_account(member, "Holder", COMMERZBANK)
        first = payments.create_mandate(member, account, utcnow().date())
        assert first.reference == f"{member.number}-1"
        assert (first.state, first.first_collected_at) == ("active", None)
        with pytest.raises(Conflict, match="active mandate"):
            payments.create_mandate(member, account, utcnow().date())
        payments.revoke_mandate(first)
        with pytest.raises(Conflict, match="revoked already"):
            payments.revoke_mandate(first)
        second = payments.create_mandate(member, account, "2024-05-01")
    assert second.reference == f"{member.number}-2"
    assert str(second.signed_on) == "2024-05-01"
    assert first.state == "revoked"
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.member_id == member.id, AuditEntry.action.like("billing.mandate.%"))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["billing.mandate.create", "billing.mandate.revoke", "billing.mandate.create"]


def test_a_generated_reference_steps_over_one_given_by_hand(member_of):
    member, other = member_of("seg"), member_of("seh")
    with acting("cli"):
        taken = payments.add_bank_account(other, "Other", ING)
        payments.create_mandate(other, taken, utcnow().date(), f"{member.number.lower()}-1")
        account = payments.add_bank_account(member, "Holder", COMMERZBANK)
        mandate = payments.create_mandate(member, account, utcnow().date())
    assert mandate.reference == f"{member.number}-2"


@pytest.mark.parametrize(
    ("field", "signed_on", "reference", "message"),
    [
        ("signed_on", "tomorrow", None, "Must not be after"),
        ("signed_on", "2024-13-01", None, "YYYY-MM-DD"),
        ("reference", "today", "WITH SPACE", "without spaces"),
        ("reference", "today", "UMLAUT-Ä", "without spaces"),
        ("reference", "today", "/LEADING", "without spaces"),
        ("reference", "today", "R" * 36, "35"),
    ],
)
def test_bad_mandates_are_refused_and_nothing_is_written(
    member_of, field, signed_on, reference, message
):
    member = member_of("sei")
    with acting("cli"):
        account = payments.add_bank_account(member, "Holder", COMMERZBANK)
    when = {"today": utcnow().date(), "tomorrow": tomorrow()}.get(signed_on, signed_on)
    before = rows(Mandate), rows(AuditEntry)
    with acting("cli"), pytest.raises(ValidationFailed) as refused:
        payments.create_mandate(member, account, when, reference)
    assert message in refused.value.fields[field][0]
    assert (rows(Mandate), rows(AuditEntry)) == before


def test_a_mandate_needs_the_members_own_account_and_a_free_reference(member_of):
    member, other = member_of("sej"), member_of("sek")
    with acting("cli"):
        foreign = payments.add_bank_account(other, "Other", ING)
        with pytest.raises(ValidationFailed) as refused:
            payments.create_mandate(member, foreign, utcnow().date())
        assert "bank_account" in refused.value.fields
        payments.create_mandate(other, foreign, utcnow().date(), "COOP-0001")
        account = payments.add_bank_account(member, "Holder", COMMERZBANK)
        with pytest.raises(Conflict) as taken:
            payments.create_mandate(member, account, utcnow().date(), "coop-0001")
    assert "reference" in taken.value.fields
    assert rows(Mandate) == 1


# Direct debits.


@pytest.fixture
def billed(payer, member_of, invoice_row):
    """Invoices of every kind: what may be collected and what never may."""
    anna, anna_mandate = payer("sda")
    bert, _ = payer("sdb", ING)
    carl = member_of("sdc")  # no mandate
    collect = [
        invoice_row(anna, "12.34"),
        invoice_row(anna, "5.00", kind="supplementary"),
        invoice_row(bert, "100.00"),
    ]
    never = {
        "credit note": invoice_row(anna, "3.00", kind="credit_note"),
        "draft": invoice_row(bert, "7.00", state="draft"),
        "no mandate": invoice_row(carl, "9.00"),
        "nothing to collect": invoice_row(bert, "0.00"),
    }
    return collect, never, anna_mandate


def test_collectable_invoices_are_issued_positive_and_covered_by_a_mandate(billed, period):
    collect, _, _ = billed
    assert [invoice.id for invoice in payments.collectable(period)] == [i.id for i in collect]


def test_the_pain008_file_validates_and_sums_to_the_collected_invoices(billed):
    collect, _, anna_mandate = billed
    with acting("cli"):
        debit = payments.direct_debit(collect, tomorrow())
    assert_valid(debit)
    document = parse(debit)
    total = sum(invoice.gross for invoice in collect)
    assert total == Decimal("117.34")
    assert group_header(document) == (str(total), "3")
    assert (debit.total, debit.count, debit.collection_date) == (total, 3, tomorrow())
    assert document.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId", namespaces=NS) == (
        debit.message_id
    )
    # Mandates never collected: every transaction is a first one.
    (only,) = batches(document).items()
    sequence, batch = only
    assert sequence == "FRST"
    assert (batch["sum"], batch["count"]) == ("117.34", "3")
    assert (batch["date"], batch["creditor"]) == (tomorrow().isoformat(), CREDITOR_ID)
    by_number = {tx["end_to_end"]: tx for tx in batch["transactions"]}
    assert set(by_number) == {invoice.number for invoice in collect}
    first = by_number[collect[0].number]
    assert first == {
        "end_to_end": collect[0].number,
        "amount": "12.34",
        "mandate": anna_mandate.reference,
        "iban": COMMERZBANK,
        "bic": "COBADEFFXXX",
    }
    assert by_number[collect[2].number]["iban"] == ING
    for invoice in collect:
        assert invoice.direct_debit_id == debit.id
        assert invoice.mandate_id is not None
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "billing.direct_debit.create")
    )
    assert entry.after["invoices"] == [invoice.number for invoice in collect]


def test_sepaxml_validates_the_file_it_makes(billed, monkeypatch):
    """The operation asks sepaxml to validate; a file that fails is refused, nothing stored."""
    collect, _, _ = billed
    exported = []
    original = sepaxml.SepaDD.export

    def export(self, validate=True, pretty_print=False):
        exported.append(validate)
        # A message id past the schema's 35 characters: only validation can catch it now.
        self._xml.find("CstmrDrctDbtInitn/GrpHdr/MsgId").text = "x" * 36
        return original(self, validate=validate, pretty_print=pretty_print)

    monkeypatch.setattr(sepaxml.SepaDD, "export", export)
    with acting("cli"), pytest.raises(Conflict, match="does not validate"):
        payments.direct_debit(collect, tomorrow())
    assert exported == [True]
    assert rows(DirectDebit) == 0
    assert all(invoice.direct_debit_id is None for invoice in collect)


@pytest.mark.parametrize("kind", ["credit note", "draft", "no mandate", "nothing to collect"])
def test_credit_notes_drafts_and_uncovered_invoices_are_never_debited(billed, kind):
    collect, never, _ = billed
    before = rows(DirectDebit), rows(AuditEntry)
    with acting("cli"), pytest.raises(ValidationFailed) as refused:
        payments.direct_debit([*collect, never[kind]], tomorrow())
    (problem,) = refused.value.fields["invoices"]
    assert problem.startswith(never[kind].number or f"#{never[kind].id}")
    assert (rows(DirectDebit), rows(AuditEntry)) == before
    assert all(invoice.direct_debit_id is None for invoice in collect)


def test_an_invoice_goes_into_one_direct_debit_only(billed, period):
    collect, _, _ = billed
    with acting("cli"):
        payments.direct_debit(collect[:1], tomorrow())
        with pytest.raises(ValidationFailed, match="cannot be collected"):
            payments.direct_debit(collect[:2], tomorrow())
        assert [i.id for i in payments.collectable(period)] == [i.id for i in collect[1:]]
        with pytest.raises(ValidationFailed, match="No invoices"):
            payments.direct_debit([], tomorrow())
    assert rows(DirectDebit) == 1


@pytest.mark.parametrize("days", [0, -1])
def test_the_collection_date_lies_ahead(billed, days):
    collect, _, _ = billed
    with acting("cli"), pytest.raises(ValidationFailed) as refused:
        payments.direct_debit(collect, utcnow().date() + timedelta(days=days))
    assert "collection_date" in refused.value.fields
    assert rows(DirectDebit) == 0


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("SEPA_CREDITOR_ID", "", "PANEL_SEPA_CREDITOR_ID"),
        ("SEPA_CREDITOR_ID", "DE98ZZZ09999999998", "PANEL_SEPA_CREDITOR_ID"),
        ("COOP_IBAN", "DE02120300000000202052", "PANEL_COOP_IBAN"),
        ("COOP_BIC", "NOTABIC", "PANEL_COOP_BIC"),
    ],
)
def test_bad_creditor_settings_make_no_file(app, billed, monkeypatch, setting, value, named):
    collect, _, _ = billed
    monkeypatch.setitem(app.config, setting, value)
    with acting("cli"), pytest.raises(Conflict, match=named):
        payments.direct_debit(collect, tomorrow())
    assert rows(DirectDebit) == 0


def test_first_collection_then_recurring_ones(payer, invoice_row):
    anna, _ = payer("sfa")
    bert, _ = payer("sfb", ING)
    with acting("cli"):
        first = payments.direct_debit([invoice_row(anna, "10.00")], tomorrow())
        # Not yet reported collected: the next file still collects a first time.
        again = payments.direct_debit([invoice_row(anna, "1.00")], tomorrow())
        assert set(batches(parse(again))) == {"FRST"}
        payments.mark_collected(first)
        mixed = payments.direct_debit(
            [invoice_row(anna, "20.00"), invoice_row(bert, "30.50"), invoice_row(anna, "0.01")],
            tomorrow(),
        )
    assert set(batches(parse(first))) == {"FRST"}
    assert_valid(mixed)
    found = batches(parse(mixed))
    assert {sequence: (b["sum"], b["count"]) for sequence, b in found.items()} == {
        "RCUR": ("20.01", "2"),
        "FRST": ("30.50", "1"),
    }
    assert group_header(parse(mixed)) == ("50.51", "3")


def test_collected_then_returned(billed):
    collect, never, anna_mandate = billed
    with acting("cli"):
        with pytest.raises(ValidationFailed, match="marked collected"):
            payments.mark_collected([never["no mandate"]])
        debit = payments.direct_debit(collect, tomorrow())
        with pytest.raises(Conflict, match="Only a collected invoice"):
            payments.record_return(collect[0], "AC04 account closed")
        done = payments.mark_collected(debit)
        assert {invoice.id for invoice in done} == {invoice.id for invoice in collect}
        assert all(invoice.collected_at is not None for invoice in collect)
        assert anna_mandate.first_collected_at is not None
        with pytest.raises(Conflict, match="collected already"):
            payments.mark_collected(debit)
        with pytest.raises(ValidationFailed, match="marked collected"):
            payments.mark_collected(collect[:1])
        with pytest.raises(ValidationFailed):
            payments.record_return(collect[0], "  ")
        payments.record_return(collect[0], "MD06 refund requested by the debtor")
        with pytest.raises(Conflict, match="recorded already"):
            payments.record_return(collect[0], "again")
    assert collect[0].returned_at is not None
    assert collect[0].return_reason == "MD06 refund requested by the debtor"
    assert collect[1].returned_at is None
    audited = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.member_id == collect[0].member_id)
    ).all()
    assert audited.count("billing.collected") == 2
    assert audited.count("billing.returned") == 1


# Pages.


@pytest.fixture
def member_client(login_as, member_of):
    member = member_of("spa")
    client, _ = login_as(member.users[0])
    return client, member


def test_a_member_adds_an_account_and_a_mandate_on_the_payment_page(member_client):
    client, member = member_client
    assert client.get("/billing/payment").status_code == 200
    bad = client.post(
        "/billing/payment/accounts", data={"holder": "Me", "iban": "DE89 3704 0044 0532 0130 01"}
    )
    assert bad.status_code == 422
    assert "check digits" in bad.get_data(as_text=True)
    assert rows(BankAccount) == 0
    response = client.post(
        "/billing/payment/accounts", data={"holder": "Me", "iban": "de89 3704 0044 0532 0130 00"}
    )
    assert response.status_code == 302
    account = db.session.scalar(select(BankAccount))
    assert (account.member_id, account.iban, account.bic) == (member.id, COMMERZBANK, "COBADEFFXXX")
    future = client.post(
        "/billing/payment/mandates",
        data={"bank_account": account.id, "signed_on": tomorrow().isoformat()},
    )
    assert future.status_code == 422
    assert rows(Mandate) == 0
    signed = client.post(
        "/billing/payment/mandates",
        data={"bank_account": account.id, "signed_on": utcnow().date().isoformat()},
    )
    assert signed.status_code == 302
    page = client.get("/billing/payment").get_data(as_text=True)
    assert "DE89 3704 0044 0532 0130 00" in page
    assert f"{member.number}-1" in page
    assert "FRST" in page


def test_a_member_never_sees_or_touches_another_members_accounts(member_client, payer):
    client, _ = member_client
    other, mandate = payer("spb", ING)
    account = mandate.bank_account
    page = client.get("/billing/payment").get_data(as_text=True)
    assert ING not in page and mandate.reference not in page
    assert client.get(f"/admin/members/{other.id}/payment").status_code == 403
    assert client.post(f"/admin/members/{other.id}/payment/accounts").status_code == 403
    assert client.post(f"/billing/payment/accounts/{account.id}/delete").status_code == 404
    assert client.post(f"/billing/payment/mandates/{mandate.id}/revoke").status_code == 404
    # Another member's account id in one's own mandate form is refused, not used.
    stolen = client.post(
        "/billing/payment/mandates",
        data={"bank_account": account.id, "signed_on": utcnow().date().isoformat()},
    )
    assert stolen.status_code == 422
    db.session.expire_all()
    assert (mandate.state, rows(BankAccount), rows(Mandate)) == ("active", 1, 1)


def test_a_member_revokes_a_mandate_and_removes_an_unused_account(member_client):
    client, member = member_client
    with acting("cli"):
        used = payments.add_bank_account(member, "Me", COMMERZBANK)
        unused = payments.add_bank_account(member, "Me", ING)
        mandate = payments.create_mandate(member, used, utcnow().date())
    revoked = client.post(f"/billing/payment/mandates/{mandate.id}/revoke")
    assert revoked.status_code == 302
    assert revoked.headers["Location"].endswith("/billing/payment")
    assert client.post(f"/billing/payment/accounts/{unused.id}/delete").status_code == 302
    db.session.expire_all()
    assert mandate.state == "revoked"
    assert db.session.scalars(select(BankAccount.id)).all() == [used.id]


def test_the_office_manages_a_members_payment_details(login_as, member_of):
    client, _ = login_as("admin")
    member = member_of("spc")
    assert client.get("/billing/payment").status_code == 404  # no member record of its own
    assert client.get(f"/admin/members/{member.id}/payment").status_code == 200
    added = client.post(
        f"/admin/members/{member.id}/payment/accounts",
        data={"holder": "Firm", "iban": ING, "bic": "INGDDEFF"},
    )
    assert added.headers["Location"].endswith(f"/admin/members/{member.id}/payment")
    account = db.session.scalar(select(BankAccount))
    assert (account.member_id, account.bic) == (member.id, "INGDDEFF")
    client.post(
        f"/admin/members/{member.id}/payment/mandates",
        data={"bank_account": account.id, "signed_on": "2025-01-02", "reference": "PAPER-17"},
    )
    mandate = db.session.scalar(select(Mandate))
    assert (mandate.member_id, mandate.reference) == (member.id, "PAPER-17")
    page = client.get(f"/admin/members/{member.id}/payment").get_data(as_text=True)
    assert "PAPER-17" in page and "DE12 5001 0517 0648 4898 90" in page


def test_the_office_makes_downloads_and_settles_a_direct_debit(login_as, billed, period):
    collect, _, _ = billed
    client, _ = login_as("admin")
    assert client.get("/admin/direct-debits").status_code == 200
    past = client.post(
        "/admin/direct-debits", data={"period": period.id, "collection_date": "2020-01-01"}
    )
    assert past.status_code == 422
    assert rows(DirectDebit) == 0
    made = client.post(
        "/admin/direct-debits",
        data={"period": period.id, "collection_date": tomorrow().isoformat()},
    )
    assert made.status_code == 302
    debit = db.session.scalar(select(DirectDebit))
    assert made.headers["Location"].endswith(f"/admin/direct-debits/{debit.id}")
    assert (debit.count, debit.total) == (3, Decimal("117.34"))
    page = client.get(f"/admin/direct-debits/{debit.id}").get_data(as_text=True)
    assert all(invoice.number in page for invoice in collect)
    download = client.get(f"/admin/direct-debits/{debit.id}.xml")
    assert download.status_code == 200
    assert download.mimetype == "application/xml"
    assert f"{debit.message_id}.xml" in download.headers["Content-Disposition"]
    assert download.get_data(as_text=True) == debit.xml
    early = client.post(f"/admin/invoices/{collect[0].id}/return", data={"reason": "AC04"})
    assert early.status_code == 409
    assert client.post(f"/admin/direct-debits/{debit.id}/collected").status_code == 302
    returned = client.post(
        f"/admin/invoices/{collect[0].id}/return", data={"reason": "AC04 account closed"}
    )
    assert returned.status_code == 302
    db.session.expire_all()
    assert all(invoice.collected_at is not None for invoice in collect)
    assert collect[0].return_reason == "AC04 account closed"
    assert "AC04 account closed" in client.get(f"/admin/direct-debits/{debit.id}").get_data(
        as_text=True
    )


def test_a_refused_return_keeps_the_reason_as_typed(login_as, billed, period):
    collect, _, _ = billed
    client, _ = login_as("admin")
    client.post(
        "/admin/direct-debits",
        data={"period": period.id, "collection_date": tomorrow().isoformat()},
    )
    debit = db.session.scalar(select(DirectDebit))
    assert client.post(f"/admin/direct-debits/{debit.id}/collected").status_code == 302
    typed = "AC04 " + "x" * 200
    refused = client.post(f"/admin/invoices/{collect[0].id}/return", data={"reason": typed})
    assert refused.status_code == 422
    assert f'value="{typed}" aria-invalid="true"' in refused.text
    assert refused.text.count('value="AC04') == 1
    assert '<p class="error">Field cannot be longer than 200 characters.</p>' in refused.text
    db.session.expire_all()
    assert collect[0].returned_at is None


def test_revoking_a_mandate_asks_first(login_as, payer):
    member, mandate = payer("rva")
    client, _ = login_as(member.users[0])
    page = client.get("/billing/payment").text
    assert confirmation(page, f"/billing/payment/mandates/{mandate.id}/revoke") == (
        f"Revoke the direct-debit mandate {mandate.reference}? Invoices are then paid by bank "
        "transfer."
    )


def test_members_reach_no_direct_debit(member_client, billed):
    client, _ = member_client
    collect, _, _ = billed
    with acting("cli"):
        debit = payments.direct_debit(collect, tomorrow())
    assert client.get("/admin/direct-debits").status_code == 403
    assert client.get(f"/admin/direct-debits/{debit.id}").status_code == 403
    assert client.get(f"/admin/direct-debits/{debit.id}.xml").status_code == 403
    assert client.post(f"/admin/direct-debits/{debit.id}/collected").status_code == 403
    assert client.post(f"/admin/invoices/{collect[0].id}/return").status_code == 403


def test_an_invoice_issued_before_the_mandate_stays_a_transfer(member_of, invoice_row, period):
    """An issued invoice never changes: it says "transfer", so it is not debited later."""
    member = member_of("sdz")
    invoice = invoice_row(member, "10.00")
    with acting("cli"):
        account = payments.add_bank_account(member, "Late Signer", COMMERZBANK)
        payments.create_mandate(member, account, utcnow().date())
    assert invoice not in payments.collectable(period)
    assert invoice.mandate_id is None


def test_an_invoice_another_file_took_meanwhile_is_not_collected_twice(billed):
    collect, _, _ = billed
    with acting("cli"):
        first = payments.direct_debit(collect[:1], tomorrow())
        stale = collect[1]
        assert stale.direct_debit_id is None
        # Another worker's file takes it behind this session's back.
        db.session.execute(
            update(Invoice.__table__)
            .where(Invoice.__table__.c.id == stale.id)
            .values(direct_debit_id=first.id)
        )
        with pytest.raises(Conflict, match="took some of these invoices"):
            payments.direct_debit(collect[1:], tomorrow())
    assert rows(DirectDebit) == 1
