"""Quantities of the ledger as pages show them, in both languages."""

from decimal import Decimal

import pytest
from flask_babel import force_locale

from panel.metering.units import format_quantity


@pytest.mark.parametrize(
    ("value", "unit", "german", "english"),
    [
        ("999", "B", "999 B", "999 B"),
        ("7200", "B·h", "7,20 kB·h", "7.20 kB·h"),
        ("1234567890", "B", "1,23 GB", "1.23 GB"),
        ("5400", "s", "1,50 h", "1.50 h"),
        ("12.5", "s", "12,50 s", "12.50 s"),
        ("1234567", "", "1.234.567", "1,234,567"),
    ],
)
def test_a_quantity_reads_in_the_page_s_language(app, value, unit, german, english):
    with app.test_request_context():
        with force_locale("de"):
            assert format_quantity(Decimal(value), unit) == german
        with force_locale("en"):
            assert format_quantity(Decimal(value), unit) == english
