"""Quantities for people: bytes and byte-hours scaled by powers of 1000, CPU time in hours."""

from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import get_locale

PREFIXES = ("", "k", "M", "G", "T", "P")
THOUSAND = Decimal(1000)


def format_quantity(value: Decimal, unit: str) -> str:
    locale = str(get_locale() or "en")
    value = Decimal(value)
    if unit in ("B", "B·h"):
        prefix = 0
        while abs(value) >= THOUSAND and prefix < len(PREFIXES) - 1:
            value /= THOUSAND
            prefix += 1
        digits = "#,##0" if prefix == 0 else "#,##0.00"
        return f"{format_decimal(value, digits, locale=locale)} {PREFIXES[prefix]}{unit}"
    if unit == "s" and abs(value) >= 3600:
        return f"{format_decimal(value / 3600, '#,##0.00', locale=locale)} h"
    if unit == "s":
        return f"{format_decimal(value, '#,##0.00', locale=locale)} s"
    return format_decimal(value, "#,##0", locale=locale)
