"""The billing pages, API, command and monthly task."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from babel.dates import format_date
from click.testing import CliRunner
from confirmations import confirmation
from flask_babel import force_locale
from sqlalchemy import func, select

from panel.billing import keys, operations
from panel.billing.models import BillingPeriod, CostPool, Invoice
from panel.billing.tasks import run_last_month
from panel.core.audit import acting
from panel.extensions import db
from panel.metering.models import CollectionRun

GB = 10**9


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def billed(make_member, period, ledger, last_month):
    """Two members with 1 and 3 GB of traffic, a pool of 10 EUR, drafts made and issued."""
    one, two = make_member("pga"), make_member("pgb")
    when = datetime(last_month.year, last_month.month, 5, tzinfo=UTC)
    ledger(one, "traffic", GB, when)
    ledger(two, "traffic", 3 * GB, when)
    with acting("cli"):
        operations.add_pool(period, "Uplink", "10.00", "traffic")
        operations.run_period(period)
        issued = operations.issue(period)
    return one, two, {invoice.member_id: invoice for invoice in issued}


def test_the_office_opens_a_period_and_enters_pools_on_pages(login_as, last_month):
    client, _ = login_as("admin")
    month = last_month.strftime("%Y-%m")
    form = {"month": month, "membership_fee": "0", "reserve_percent": "0", "vat_percent": "19"}
    answer = client.post("/admin/billing", data=form)
    assert answer.status_code == 302
    period = db.session.scalar(select(BillingPeriod))
    added = client.post(
        f"/admin/billing/{period.id}/pools",
        data={"name": "Power", "amount": "120.50", "key": "disk"},
    )
    assert added.status_code == 302
    page = client.get(f"/admin/billing/{period.id}").text
    assert "Power" in page and "no usage: not shared out" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Power", "amount": "-1", "key": "disk"}, "Must not be negative."),
        ({"name": "Power", "amount": "lots", "key": "disk"}, "An amount in euros"),
        ({"name": "Power", "amount": "1.00", "key": "luck"}, "Choose one of"),
    ],
)
def test_bad_pools_on_the_page_say_why_and_write_nothing(login_as, period, data, message):
    client, _ = login_as("admin")
    answer = client.post(f"/admin/billing/{period.id}/pools", data=data)
    assert answer.status_code == 422
    assert message in answer.text
    assert count(CostPool) == 0


@pytest.mark.parametrize(("month", "message"), [("2999-01", "has not begun"), ("May", "YYYY-MM")])
def test_a_bad_month_is_refused_on_the_page(login_as, month, message):
    client, _ = login_as("admin")
    form = {"month": month, "membership_fee": "0", "reserve_percent": "0", "vat_percent": "19"}
    answer = client.post("/admin/billing", data=form)
    assert answer.status_code == 422 and message in answer.text
    assert count(BillingPeriod) == 0


def test_a_member_sees_its_invoice_with_every_line_explained(billed, login_as):
    one, _, invoices = billed
    client, _ = login_as(one.users[0])
    page = client.get(f"/invoices/{invoices[one.id].id}").text
    assert invoices[one.id].number in page
    # The pool, the cooperative's total usage, the member's own, the unit price, the rounding.
    assert "used 4 GB; you used 1 GB" in page
    assert "€2.50/GB" in page and "(+0.0 €" in page
    listed = client.get("/invoices").text
    assert invoices[one.id].number in listed
    assert client.get(f"/invoices/{billed[2][billed[1].id].id}").status_code == 404


def test_an_invoice_reads_in_the_locale_of_the_page(billed, login_as, last_month):
    one, _, invoices = billed
    invoice = invoices[one.id]
    client, _ = login_as(one.users[0])
    english = client.get(f"/invoices/{invoice.id}", headers={"Accept-Language": "en"}).text
    german = client.get(f"/invoices/{invoice.id}", headers={"Accept-Language": "de"}).text
    assert "<td>1.00 GB</td>" in english and "<td>€2.50/GB</td>" in english
    assert "are shared out by traffic" in english
    assert "<td>1,00 GB</td>" in german and "<td>2,50\xa0€/GB</td>" in german
    assert "werden nach Datenverkehr verteilt" in german
    assert "Ihr genauer Anteil 2,50\xa0€" in german
    assert f"Monat {format_date(last_month, 'MMMM yyyy', locale='de')}" in german
    assert "%.6f" not in german and ".000000" not in german


def test_invoice_units_are_words_in_the_right_case(app):
    template = app.jinja_env.from_string(
        "{{ q | rounded }} {{ unit | unit_word }} · {{ price(p) }}/"
        "{{ unit | per_unit_word }} · {{ unit | shared_by }}"
    )
    with app.test_request_context(), force_locale("de"):
        text = template.render(q=Decimal("0.8666667"), p=Decimal("45.93"), unit="members")
        assert text == "0,87 Mitglieder · 45,93\xa0€/Mitglied · nach Mitgliedern verteilt"
    with app.test_request_context(), force_locale("en"):
        text = template.render(q=Decimal("0.0001234"), p=Decimal("0.000123456"), unit="members")
        assert text == "0.000123 members · €0.000123/member · shared out by members"


def test_drafts_are_not_shown_to_members(make_member, period, ledger, last_month, login_as):
    one = make_member("pgc")
    ledger(one, "traffic", GB, datetime(last_month.year, last_month.month, 5, tzinfo=UTC))
    with acting("cli"):
        operations.add_pool(period, "Uplink", "10.00", "traffic")
        (draft,) = operations.run_period(period).created
    client, _ = login_as(one.users[0])
    assert client.get(f"/invoices/{draft.id}").status_code == 404
    assert "draft" not in client.get("/invoices").text


def test_the_transparency_page_shows_each_closed_month_and_its_coverage(billed, period, login_as):
    one, _, _ = billed
    with acting("cli"):
        operations.close_period(period)
    client, _ = login_as(one.users[0])
    page = client.get("/transparency").text
    assert format_date(period.month, "MMMM yyyy", locale="en") in page
    assert "Uplink" in page and "(100.0 %)" in page and "shared out by traffic" in page


def test_the_office_corrects_an_issued_invoice_by_credit_note(billed, login_as):
    one, _, invoices = billed
    client, _ = login_as("admin")
    answer = client.post(
        f"/admin/invoices/{invoices[one.id].id}/correct",
        data={"amount": "-1.00", "description": "Goodwill"},
    )
    assert answer.status_code == 302
    credit = db.session.scalar(select(Invoice).where(Invoice.kind == "credit_note"))
    assert credit.corrects_id == invoices[one.id].id and credit.net == Decimal("1.00")
    refused = client.post(
        f"/admin/invoices/{invoices[one.id].id}/correct",
        data={"amount": "zero", "description": "Nothing"},
    )
    assert refused.status_code == 422


def test_the_api_runs_a_period_from_pools_to_issued_invoices(
    make_member, ledger, last_month, api_as
):
    one = make_member("pgd")
    ledger(one, "traffic", GB, datetime(last_month.year, last_month.month, 5, tzinfo=UTC))
    admin, _ = api_as("admin")
    period = admin.post("/api/v1/billing/periods", json={"month": last_month.strftime("%Y-%m")})
    assert period.status_code == 201, period.json
    url = f"/api/v1/billing/periods/{period.json['id']}"
    bad = admin.post(f"{url}/pools", json={"name": "Uplink", "amount": "-5", "key": "traffic"})
    assert bad.status_code == 422 and "amount" in bad.json["error"]["fields"]
    pool = admin.post(f"{url}/pools", json={"name": "Uplink", "amount": "7.00", "key": "traffic"})
    assert pool.status_code == 201
    assert admin.post(f"{url}/run").json == {"drafts": 1, "unallocated": []}
    issued = admin.post(f"{url}/issue").json["issued"]
    assert len(issued) == 1
    assert admin.post(f"{url}/close").json == {"state": "closed"}
    member, _ = api_as(one.users[0])
    (invoice,) = member.get("/api/v1/invoices").json
    assert invoice["number"] == issued[0] and invoice["gross"] == "8.33"
    assert invoice["lines"][0]["key_total"] == "1.000000000"


def test_the_command_runs_a_period(app, period, billed, monkeypatch):
    from panel.cli import main

    monkeypatch.setattr("panel.create_app", lambda: app)
    runner = CliRunner()
    month = period.month.strftime("%Y-%m")
    done = runner.invoke(main, ["billing", "run", "--period", month])
    # Both members have their invoice already: a second run makes none.
    assert done.exit_code == 0 and "0 draft invoices" in done.output
    missing = runner.invoke(main, ["billing", "run", "--period", "2020-01"])
    assert missing.exit_code != 0 and "no billing period for 2020-01" in missing.output


def test_the_monthly_task_drafts_last_month_once_the_ledger_holds_it(
    make_member, period, ledger, last_month
):
    assert run_last_month() is None
    one = make_member("pge")
    ledger(one, "traffic", GB, datetime(last_month.year, last_month.month, 5, tzinfo=UTC))
    with acting("cli"):
        operations.add_pool(period, "Uplink", "10.00", "traffic")
    # The ledger is collected to the 20th only: the month is not billed yet.
    start, end = keys.month_bounds(last_month)
    collected = CollectionRun(
        period_start=start, period_end=start.replace(day=20), status="complete"
    )
    db.session.add(collected)
    db.session.commit()
    with acting("worker"):
        assert run_last_month() is None
        collected.period_end = end
        db.session.commit()
        assert len(run_last_month().created) == 1
        assert run_last_month() is None


def test_a_member_downloads_its_invoice_as_pdf_and_xrechnung(billed, login_as, tmp_path):
    import subprocess

    one, two, invoices = billed
    client, _ = login_as(one.users[0])
    document = client.get(f"/invoices/{invoices[one.id].id}.pdf")
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    (tmp_path / "invoice.pdf").write_bytes(document.data)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "invoice.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert invoices[one.id].number in text
    xml = client.get(f"/invoices/{invoices[one.id].id}.xml")
    assert xml.status_code == 200 and b"xrechnung" in xml.data
    assert client.get(f"/invoices/{invoices[two.id].id}.pdf").status_code == 404


def test_issuing_cancelling_and_closing_ask_first(
    make_member, period, ledger, last_month, login_as
):
    one, two = make_member("pca"), make_member("pcb")
    when = datetime(last_month.year, last_month.month, 5, tzinfo=UTC)
    ledger(one, "traffic", GB, when)
    ledger(two, "traffic", GB, when)
    with acting("cli"):
        operations.add_pool(period, "Uplink", "10.00", "traffic")
        operations.run_period(period)
    client, _ = login_as("admin")
    month = f"{last_month:%B} {last_month.year}"
    page = client.get(f"/admin/billing/{period.id}").text
    assert confirmation(page, f"/admin/billing/{period.id}/issue") == (
        f"Issue 2 invoices for {month}? Issued invoices cannot be changed, only corrected by "
        "credit notes."
    )
    assert confirmation(page, f"/admin/billing/{period.id}/cancel") == (
        f"Cancel the 2 draft invoices of {month}?"
    )
    with acting("cli"):
        operations.issue(period)
    page = client.get(f"/admin/billing/{period.id}").text
    assert confirmation(page, f"/admin/billing/{period.id}/close") == (
        f"Close the billing period {month}? No invoices can be made in it afterwards."
    )
    assert '<span class="state state-open">open</span>' in page
