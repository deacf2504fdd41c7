"""Money as Decimal, never float: a column type, parsing and German/English formatting."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency
from sqlalchemy import Numeric

CENT = Decimal("0.01")
Money = Numeric(14, 2, asdecimal=True)


def to_money(value: object) -> Decimal:
    """Parse an amount to cents; raises ValueError on anything that is not a finite number."""
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, locale: str = "de_DE", currency: str = "EUR") -> str:
    return format_currency(amount, currency, locale=locale)
