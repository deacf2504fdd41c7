"""An invoice line is a value (billing/lines.py): a run works out charges, the invoice stores
them as rows, and documents, pages and the API read them back as lines."""

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from panel.billing import operations
from panel.billing.lines import COLUMNS, Charge, Line
from panel.core.audit import acting

GB = 10**9


def test_a_fixed_charge_is_its_amount_and_cannot_change():
    charge = Charge.fixed("Membership fee", Decimal(2), "month", Decimal("5.00"))
    assert (charge.unit_price, charge.exact_net, charge.net, charge.rounding) == (
        Decimal("2.5"),
        Decimal("5.00"),
        Decimal("5.00"),
        Decimal(0),
    )
    assert charge.pool_id is None and charge.key == ""
    with pytest.raises(dataclasses.FrozenInstanceError):
        charge.net = Decimal(0)
    row = charge.row(3, Decimal("19.00"), Decimal("0.95"))
    assert set(row) == set(COLUMNS) and "pool_name" not in COLUMNS
    assert (row["position"], row["vat_percent"], row["vat"]) == (
        3,
        Decimal("19.00"),
        Decimal("0.95"),
    )
    assert Line(**row, pool_name=None).rounding == 0


def test_an_invoice_reads_back_the_lines_its_run_made(make_member, period, ledger, last_month):
    one, two = make_member("lia"), make_member("lib")
    ledger(one, "traffic", GB, datetime(last_month.year, last_month.month, 5, tzinfo=UTC))
    ledger(two, "traffic", 2 * GB, datetime(last_month.year, last_month.month, 6, tzinfo=UTC))
    with acting("cli"):
        pool = operations.add_pool(period, "Uplink", "10.00", "traffic")
        operations.update_period(period, {"reserve_percent": "10"})
        (first, _) = operations.run_period(period).created
    shared, reserve = first.line_values
    assert shared == Line(
        description="Uplink",
        quantity=Decimal(1),
        unit="GB",
        unit_price=Decimal("3.333333333333"),
        exact_net=Decimal("3.333333333333"),
        net=Decimal("3.33"),
        pool_id=pool.id,
        pool_name="Uplink",
        key="traffic",
        pool_amount=Decimal("10.00"),
        key_total=Decimal(3),
        position=1,
        vat_percent=Decimal("19.00"),
        vat=Decimal("0.64"),
    )
    assert (reserve.position, reserve.description, reserve.net) == (
        2,
        "Reserve 10.00 %",
        Decimal("0.33"),
    )
    assert reserve.pool_name is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        shared.vat = Decimal(0)
