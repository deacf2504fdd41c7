"""Quantities for people: bytes and byte-hours scaled by powers of 1000, CPU time in hours."""

from decimal import Decimal

from panel.core.formats import format_number

PREFIXES = ("", "k", "M", "G", "T", "P")
THOUSAND = Decimal(1000)


def format_quantity(value: Decimal, unit: str) -> str:
    # Through format_number, which keeps the locale's object and the parsed patterns: a usage
    # page shows a hundred quantities.
    value = Decimal(value)
    if unit in ("B", "B·h"):
        prefix = 0
        while abs(value) >= THOUSAND and prefix < len(PREFIXES) - 1:
            value /= THOUSAND
            prefix += 1
        return f"{format_number(value, 0 if prefix == 0 else 2)} {PREFIXES[prefix]}{unit}"
    if unit == "s" and abs(value) >= 3600:
        return f"{format_number(value / 3600, 2)} h"
    if unit == "s":
        return f"{format_number(value, 2)} s"
    return format_number(value, 0)
