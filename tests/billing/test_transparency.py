"""The transparency page: per closed month the cost pools, the money invoiced (credit notes
subtracted) and collected, and the usage per key, as charts and tables for members only."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from panel.billing import operations, payments, transparency
from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db

GB = 10**9
DKB = "DE02120300000000202051"
COMMERZBANK = "DE89370400440532013000"


@pytest.fixture(autouse=True)
def creditor(app, monkeypatch):
    monkeypatch.setitem(app.config, "COOP_IBAN", DKB)
    monkeypatch.setitem(app.config, "COOP_BIC", "")
    monkeypatch.setitem(app.config, "SEPA_CREDITOR_ID", "DE98ZZZ09999999999")


@pytest.fixture
def closed_month(make_member, ledger, last_month):
    """Two members (1 and 3 GB of traffic) pay a 10 EUR traffic pool and a 6 EUR pool shared
    by members, with 10 % VAT: 6.05 and 11.55 EUR. The first gets a credit note of 1.10 EUR;
    both invoices are debited, the first comes back from the bank. This month is open, with a
    pool."""
    one, two = make_member("tra"), make_member("trb")
    when = datetime(last_month.year, last_month.month, 5, tzinfo=UTC)
    ledger(one, "traffic", GB, when)
    ledger(two, "traffic", 3 * GB, when)
    for member in (one, two):
        member.admitted_on = last_month
    db.session.commit()
    with acting("cli"):
        for member in (one, two):
            account = payments.add_bank_account(member, member.name, COMMERZBANK)
            payments.create_mandate(member, account, last_month)
        period = operations.open_period(last_month.strftime("%Y-%m"), vat_percent="10")
        operations.add_pool(period, "Uplink", "10.00", "traffic")
        operations.add_pool(period, "Office", "6.00", "members")
        operations.run_period(period)
        invoices = {invoice.member_id: invoice for invoice in operations.issue(period)}
        operations.correct(invoices[one.id], "-1.00", "Goodwill")
        operations.issue(period)
        debit = payments.direct_debit(
            payments.collectable(period), utcnow().date() + timedelta(days=2)
        )
        payments.mark_collected(debit)
        payments.record_return(invoices[one.id], "MD06")
        operations.close_period(period)
        this_month = operations.open_period(utcnow().strftime("%Y-%m"), vat_percent="10")
        operations.add_pool(this_month, "Not yet", "99.00", "disk")
    return period, one


def test_the_figures_of_a_closed_month(closed_month):
    period, _ = closed_month

    (month,) = transparency.closed_months()

    assert month.period.id == period.id
    assert [(item.pool.name, item.pool.amount, item.pool.key) for item in month.pools] == [
        ("Office", Decimal("6.00"), "members"),
        ("Uplink", Decimal("10.00"), "traffic"),
    ]
    assert month.costs == Decimal("16.00")
    assert month.invoiced == Decimal("16.50")
    assert month.collected == Decimal("11.55")
    assert [(used.key, used.total, used.unit) for used in month.usage] == [
        ("members", Decimal(2), "members"),
        ("traffic", Decimal(4), "GB"),
    ]


def test_a_member_reads_the_page_with_charts_and_tables(closed_month, login_as):
    period, one = closed_month
    client, _ = login_as(one.users[0])

    page = client.get("/transparency").text

    key = period.month.isoformat()
    money_row = page[page.index(f'id="money-{key}"') :].split("</tr>")[0]
    assert "€16.00" in money_row and "€16.50" in money_row and "€11.55" in money_row
    assert "Uplink" in page and "Office" in page and "shared out by traffic" in page
    traffic = page[page.index('class="usage-traffic"') :].split("</tr>")[0]
    assert "4.00 GB" in traffic
    assert "2.00 members" in page[page.index('class="usage-members"') :].split("</tr>")[0]
    assert '<svg viewBox="0 0 720 220" role="img" aria-label="Costs">' in page
    assert 'aria-label="traffic in GB"' in page
    assert "Not yet" not in page
    assert one.name not in page and "tra00" not in page


def test_the_page_in_german(closed_month, login_as):
    _, one = closed_month
    user = one.users[0]
    user.locale = "de"
    db.session.commit()
    client, _ = login_as(user)

    page = client.get("/transparency").text

    assert "Transparenz" in page and "Eingezogen" in page
    assert "16,00\xa0€" in page and "nach Datenverkehr verteilt" in page


def test_only_members_see_it(closed_month, client, login_as, make_user):
    assert client.get("/transparency").headers["Location"].startswith("/login")
    reseller = make_user("reseller")
    customer, _ = login_as("customer", reseller=reseller)
    assert customer.get("/transparency").status_code == 403
    admin, _ = login_as("admin")
    assert admin.get("/transparency").status_code == 200
