"""Quantities for people: bytes and byte-hours scaled by powers of 1000, CPU time in hours."""

from decimal import Decimal

from babel.numbers import format_decimal

from panel.core.formats import number_pattern, page_locale

PREFIXES = ("", "k", "M", "G", "T", "P")
THOUSAND = Decimal(1000)


def format_quantity(value: Decimal, unit: str) -> str:
    # The locale as Babel's object and the patterns parsed once: a usage page shows a hundred
    # quantities, and Babel parses a locale's name and a pattern given as text at every call.
    locale = page_locale()
    value = Decimal(value)
    if unit in ("B", "B·h"):
        prefix = 0
        while abs(value) >= THOUSAND and prefix < len(PREFIXES) - 1:
            value /= THOUSAND
            prefix += 1
        digits = number_pattern("#,##0" if prefix == 0 else "#,##0.00")
        return f"{format_decimal(value, digits, locale=locale)} {PREFIXES[prefix]}{unit}"
    if unit == "s" and abs(value) >= 3600:
        return f"{format_decimal(value / 3600, number_pattern('#,##0.00'), locale=locale)} h"
    if unit == "s":
        return f"{format_decimal(value, number_pattern('#,##0.00'), locale=locale)} s"
    return format_decimal(value, number_pattern("#,##0"), locale=locale)
