"""Cost pools, draft runs, issuing, closing and corrections, on ledger rows written directly."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from panel.billing import operations
from panel.billing.models import CostPool, Invoice, InvoiceLine, InvoiceSequence
from panel.core.audit import acting
from panel.core.errors import Conflict, ValidationFailed
from panel.core.models import utcnow
from panel.extensions import db

GB = 10**9


def day_in(month, day=10):
    return datetime(month.year, month.month, day, 12, tzinfo=UTC)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def members(make_member, period, ledger, last_month):
    """Three members with 1, 2 and 0 GB of traffic last month (and some this month)."""
    one, two, none = (make_member(prefix) for prefix in ("bia", "bib", "bic"))
    ledger(one, "traffic", 1 * GB, day_in(last_month, 3))
    ledger(two, "traffic", 2 * GB, day_in(last_month, 20))
    ledger(one, "traffic", 5 * GB, utcnow())
    return one, two, none


def test_a_pool_is_shared_by_usage_to_the_cent_with_every_line_explained(members, period):
    one, two, _ = members
    with acting("cli"):
        operations.add_pool(period, "Uplink", "100.00", "traffic")
        result = operations.run_period(period)
    by_member = {invoice.member_id: invoice for invoice in result.created}
    assert set(by_member) == {one.id, two.id}
    first, second = by_member[one.id].lines[0], by_member[two.id].lines[0]
    assert (first.net, second.net) == (Decimal("33.33"), Decimal("66.67"))
    assert first.net + second.net == Decimal("100.00")
    assert (first.quantity, first.unit, first.key_total) == (Decimal(1), "GB", Decimal(3))
    assert first.pool_amount == Decimal("100.00")
    assert first.unit_price == Decimal("33.333333333333")
    assert first.exact_net == Decimal("33.333333333333")
    assert by_member[one.id].vat == Decimal("6.33")
    assert by_member[one.id].gross == Decimal("39.66")


def test_a_pool_without_usage_is_reported_not_lost(members, period):
    with acting("cli"):
        operations.add_pool(period, "CPU", "50.00", "cpu")
        result = operations.run_period(period)
    assert [pool.name for pool in result.unallocated] == ["CPU"]
    assert result.created == []


def test_running_a_period_twice_changes_nothing(members, period):
    with acting("cli"):
        operations.add_pool(period, "Uplink", "100.00", "traffic")
        first = operations.run_period(period)
        lines = count(InvoiceLine)
        second = operations.run_period(period)
    assert len(first.created) == 2 and second.created == []
    assert count(InvoiceLine) == lines


def test_cancelling_removes_only_drafts(members, period):
    with acting("cli"):
        operations.add_pool(period, "Uplink", "100.00", "traffic")
        run = operations.run_period(period)
        issued = operations.issue(period)
        assert len(issued) == len(run.created)
        correction = operations.correct(issued[0], "-5.00", "Outage credit").id
        assert operations.cancel_drafts(period) == 1
    db.session.expire_all()
    assert db.session.get(Invoice, correction) is None
    assert all(db.session.get(Invoice, invoice.id).state == "issued" for invoice in issued)


def test_issuing_numbers_invoices_per_year_without_gaps(members, period):
    with acting("cli"):
        operations.add_pool(period, "Uplink", "100.00", "traffic")
        operations.run_period(period)
        issued = operations.issue(period)
        again = operations.issue(period)
    year = utcnow().year
    numbers = [invoice.number for invoice in issued]
    assert numbers == [f"{year}-000001", f"{year}-000002"]
    assert again == []
    assert db.session.get(InvoiceSequence, year).last == 2


def test_a_closed_period_is_frozen_and_corrected_by_credit_notes(members, period):
    with acting("cli"):
        operations.add_pool(period, "Uplink", "100.00", "traffic")
        operations.run_period(period)
        issued = operations.issue(period)
        operations.close_period(period)
        with pytest.raises(Conflict):
            operations.add_pool(period, "Late", "1.00", "traffic")
        with pytest.raises(Conflict):
            operations.run_period(period)
        credit = operations.correct(issued[0], "-10.00", "Goodwill")
        extra = operations.correct(issued[1], "2.50", "Forgotten")
        operations.issue(period)
    assert (credit.kind, credit.net, credit.corrects_id) == (
        "credit_note",
        Decimal("10.00"),
        issued[0].id,
    )
    assert (extra.kind, extra.gross) == ("supplementary", Decimal("2.98"))
    assert credit.number and extra.number


def test_fee_and_reserve_come_on_top_of_the_pools(members, period, last_month):
    one, _, none = members
    for member in members:
        member.admitted_on = last_month
    db.session.commit()
    with acting("cli"):
        operations.update_period(period, {"membership_fee": "3.00", "reserve_percent": "10"})
        operations.add_pool(period, "Uplink", "100.00", "traffic")
        result = operations.run_period(period)
    by_member = {invoice.member_id: invoice for invoice in result.created}
    assert [line.net for line in by_member[one.id].lines] == [
        Decimal("33.33"),
        Decimal("3.33"),
        Decimal("3.00"),
    ]
    # Without usage, the fee alone.
    assert [line.net for line in by_member[none.id].lines] == [Decimal("3.00")]


def test_reverse_charge_for_an_eu_business_with_a_valid_vat_id(members, period):
    one, _, _ = members
    one.kind, one.vat_id, one.country = "legal", "ATU13585627", "AT"
    db.session.commit()
    with acting("cli"):
        operations.add_pool(period, "Uplink", "100.00", "traffic")
        result = operations.run_period(period)
    invoice = next(i for i in result.created if i.member_id == one.id)
    assert invoice.reverse_charge and invoice.vat == 0 and invoice.gross == invoice.net


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "-1.00"),
        ("amount", "ten"),
        ("amount", "1.001"),
        ("amount", "NaN"),
        ("amount", "1e400"),
        ("key", "colour"),
        ("name", ""),
        ("amount", None),
    ],
)
def test_bad_pools_are_refused_and_nothing_is_written(period, field, value):
    data = {"name": "Uplink", "amount": "10.00", "key": "traffic", field: value}
    with pytest.raises(ValidationFailed) as caught, acting("cli"):
        operations.add_pool(period, **data)
    assert field in caught.value.fields
    assert count(CostPool) == 0


@pytest.mark.parametrize("month", ["2999-01", "2026-13", "26-01", "", "2026-1"])
def test_bad_or_future_months_are_refused(month):
    with pytest.raises(ValidationFailed), acting("cli"):
        operations.open_period(month)


def test_a_month_has_one_period(period, last_month):
    with pytest.raises(Conflict), acting("cli"):
        operations.open_period(last_month.strftime("%Y-%m"))


def test_prices_stay_while_invoices_exist(members, period):
    with acting("cli"):
        operations.add_pool(period, "Uplink", "100.00", "traffic")
        operations.run_period(period)
        with pytest.raises(Conflict):
            operations.add_pool(period, "More", "1.00", "traffic")
        operations.cancel_drafts(period)
        operations.add_pool(period, "More", "1.00", "traffic")
    assert count(CostPool) == 2
    assert timedelta(0) <= utcnow() - period.created_at


def test_vat_must_be_above_zero(last_month):
    with pytest.raises(ValidationFailed) as caught, acting("cli"):
        operations.open_period(last_month.strftime("%Y-%m"), vat_percent="0")
    assert "vat_percent" in caught.value.fields


def test_a_rerun_after_new_usage_shares_no_pool_twice(members, period, ledger, last_month):
    _, _, late = members
    with acting("cli"):
        operations.add_pool(period, "Uplink", "100.00", "traffic")
        operations.run_period(period)
        ledger(late, "traffic", 7 * GB, day_in(last_month, 28))
        assert operations.run_period(period).created == []
    charged = db.session.scalar(
        select(func.sum(InvoiceLine.net)).where(InvoiceLine.pool_id.is_not(None))
    )
    assert charged == Decimal("100.00")


def test_a_correction_is_taxed_like_the_invoice_it_corrects(members, period):
    one, _, _ = members
    with acting("cli"):
        operations.add_pool(period, "Uplink", "100.00", "traffic")
        operations.run_period(period)
        issued = {invoice.member_id: invoice for invoice in operations.issue(period)}
    one.kind, one.vat_id, one.country = "legal", "ATU13585627", "AT"
    db.session.commit()
    with acting("cli"):
        credit = operations.correct(issued[one.id], "-10.00", "Goodwill")
    assert not credit.reverse_charge and credit.vat == Decimal("1.90")


def test_credit_notes_never_credit_more_than_the_invoice_and_its_supplements(members, period):
    with acting("cli"):
        operations.add_pool(period, "Uplink", "100.00", "traffic")
        operations.run_period(period)
        invoice = operations.issue(period)[0]
        net = invoice.net
        operations.correct(invoice, f"-{net - Decimal('1.00')}", "Most of it")
        before = count(Invoice)
        with pytest.raises(ValidationFailed) as refused:
            operations.correct(invoice, "-1.01", "Too much")
        assert refused.value.fields == {
            "amount": ["At most 1.00 EUR of this invoice is left to credit."]
        }
        assert count(Invoice) == before
        operations.correct(invoice, "5.00", "Forgotten")
        last = operations.correct(invoice, "-6.00", "The rest, supplement included")
    assert last.kind == "credit_note" and last.net == Decimal("6.00")
