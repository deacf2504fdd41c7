"""Money as Decimal, never float: a column type, parsing and German/English formatting."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency
from sqlalchemy import Numeric

CENT = Decimal("0.01")
Money = Numeric(14, 2, asdecimal=True)
LIMIT = Decimal(10) ** 12


def to_money(value: object) -> Decimal:
    """Parse an amount to cents; raises ValueError on anything that is not a storable number."""
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
        if amount.is_finite():
            amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except (ArithmeticError, ValueError) as exc:  # decimal's errors are ArithmeticErrors
        raise ValueError(f"not an amount: {value!r}") from exc
    # Beyond the Money column's 12 digits before the point the database would refuse it.
    if not amount.is_finite() or not -LIMIT < amount < LIMIT:
        raise ValueError(f"not an amount: {value!r}")
    return amount


def format_money(amount: Decimal, locale: str = "de_DE", currency: str = "EUR") -> str:
    return format_currency(amount, currency, locale=locale)
