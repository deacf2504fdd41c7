"""An invoice line is a value (billing/lines.py): a run makes lines, the invoice stores them as
rows, and what documents, pages and the API read back is the same lines."""

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from panel.billing import operations
from panel.billing.lines import COLUMNS, Line
from panel.core.audit import acting

GB = 10**9


def test_a_fixed_line_charges_its_amount_and_cannot_change():
    line = Line.fixed("Membership fee", Decimal(2), "month", Decimal("5.00"))
    assert (line.unit_price, line.exact_net, line.net, line.rounding) == (
        Decimal("2.5"),
        Decimal("5.00"),
        Decimal("5.00"),
        Decimal(0),
    )
    assert line.pool_id is None and line.key == "" and line.vat == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.net = Decimal(0)
    taxed = line.taxed(3, Decimal("19.00"), Decimal("0.95"))
    assert (taxed.position, taxed.vat_percent, taxed.vat) == (3, Decimal("19.00"), Decimal("0.95"))
    assert line.position == 0
    assert set(taxed.columns()) == set(COLUMNS) and "pool_name" not in COLUMNS


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
    assert [line.columns() for line in first.line_values] == [
        {name: getattr(row, name) for name in COLUMNS} for row in first.lines
    ]
