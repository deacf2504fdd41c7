"""Money as Decimal, never float: the column type, the one parser of amounts and percentages
(for pages, the API, billing and settings), rounding to the cent, and formatting."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency
from flask_babel import lazy_gettext as _l
from sqlalchemy import Numeric

from panel.core.errors import ValidationFailed

CENT = Decimal("0.01")
Money = Numeric(14, 2, asdecimal=True)
LIMIT = Decimal(10) ** 12
# The longest text a page or the API takes for an amount (the largest has 16 characters) and
# for a percentage.
AMOUNT_LENGTH = 20
PERCENT_LENGTH = 8

AMOUNT = _l("An amount in euros, like 1234.56.")
SIGNED_AMOUNT = _l("An amount in euros, like -12.50.")
NEGATIVE = _l("Must not be negative.")
PERCENT = _l("A percentage from 0 to 100.")


def clean_amount(field: str, value: object, *, signed: bool = False) -> Decimal:
    """An amount in euros as a person types it: a point or a comma, at most two decimals; not
    negative unless SIGNED."""
    message = SIGNED_AMOUNT if signed else AMOUNT
    amount = _number(value, AMOUNT_LENGTH)
    if amount is None or amount != amount.quantize(CENT):
        raise ValidationFailed.field(field, message)
    if amount < 0 and not signed:
        raise ValidationFailed.field(field, NEGATIVE)
    return amount.quantize(CENT)


def clean_percent(field: str, value: object) -> Decimal:
    """A percentage from 0 to 100 with at most two decimals, typed like an amount."""
    percent = _number(value, PERCENT_LENGTH)
    if percent is None or not 0 <= percent <= 100 or percent != percent.quantize(CENT):
        raise ValidationFailed.field(field, PERCENT)
    return percent


def to_money(value: object) -> Decimal:
    """An amount from a setting, rounded to the cent (half up): a float or "64,00" in the
    configuration still gives cents. Raises ValueError on anything else."""
    amount = _number(value, None)
    if amount is not None:
        amount = round_cents(amount)
    if amount is None or not -LIMIT < amount < LIMIT:
        raise ValueError(f"not an amount: {value!r}")
    return amount


def _number(value: object, max_length: int | None) -> Decimal | None:
    """VALUE as a finite Decimal below LIMIT in size, or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        text = str(value).strip()
        if max_length is not None and len(text) > max_length:
            return None
        number = Decimal(text.replace(",", "."))
    except (ArithmeticError, ValueError):  # decimal's errors are ArithmeticErrors
        return None
    # Rounding a number like 1E+400 to the cent would fail; beyond the Money column's 12 digits
    # before the point the database would refuse it.
    if not number.is_finite() or not -LIMIT < number < LIMIT:
        return None
    return number


def round_cents(value: Decimal) -> Decimal:
    """VALUE to the cent, half up, as VAT, the reserve and settings are rounded."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def in_cents(amount: Decimal) -> int:
    """An amount in euros as a whole number of cents (what a SEPA file takes)."""
    return int(amount.quantize(CENT).scaleb(2))


def format_money(amount: Decimal, locale: str = "de_DE", currency: str = "EUR") -> str:
    return format_currency(amount, currency, locale=locale)
