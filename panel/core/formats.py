"""Numbers, sizes, dates and times for people: in the page's locale and the person's time zone,
through Flask-Babel's formatters. Stored times are naive UTC; Flask-Babel moves them into the
time zone its selector gives (see panel.core.timezones)."""

from datetime import date, datetime
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import NumberPattern, format_currency, parse_pattern
from babel.numbers import format_decimal as babel_decimal
from flask_babel import format_date, get_locale, to_user_timezone
from flask_babel import lazy_gettext as _l

BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
KIBI = 1024
CENT = Decimal("0.01")
UNKNOWN = _l("unknown")
ENGLISH = Locale("en")


def format_moment(moment: datetime, seconds: bool = False) -> str:
    """A moment as "5. Dezember 2026, 14:03" (en: "December 5, 2026, 2:03 PM").

    What Flask-Babel's format_date and format_time make of it, with the locale's patterns
    applied directly: lists show a moment on every row, and the two formatters looked the
    locale, its formats and the time zone up again for each."""
    locale = _locale()
    moment = to_user_timezone(moment)
    clock = locale.time_formats["medium" if seconds else "short"]
    return (
        f"{locale.date_formats['long'].apply(moment.date(), locale)}, {clock.apply(moment, locale)}"
    )


def format_clock(moment: datetime) -> str:
    """The time of day of a moment in the person's time zone, as "14:03" (en: "2:03 PM"),
    with the locale's pattern applied directly, as in format_moment."""
    locale = _locale()
    return locale.time_formats["short"].apply(to_user_timezone(moment), locale)


def format_day(day: date | datetime, style: str = "long") -> str:
    """A day as "5. Dezember 2026"; a moment is first moved into the person's time zone."""
    return format_date(day, style)


def format_month(month: date) -> str:
    """A month as "Dezember 2026"."""
    return format_date(month, "MMMM yyyy")


def format_number(value: Decimal | float | int, decimals: int | None = None) -> str:
    """A number with the locale's separators; DECIMALS fixes the digits after the point
    (rounded half even), else they are kept as they are."""
    if decimals is None:
        return babel_decimal(
            Decimal(value).normalize(), locale=_locale(), decimal_quantization=False
        )
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return babel_decimal(value, _pattern(pattern), locale=_locale())


def rounded(value: Decimal | float | int) -> Decimal:
    """VALUE to the cent, or to three significant digits where the cent would show a small
    non-zero figure as nothing: what a line shows, its explanation keeps the exact figure."""
    value = Decimal(value)
    if value == 0 or abs(value) >= CENT:
        return value.quantize(CENT)
    return value.quantize(Decimal(1).scaleb(value.adjusted() - 2))


def format_rounded(value: Decimal | float | int) -> str:
    """A quantity for people: "0,87", "1.234,50", "0,000123"."""
    value = rounded(value)
    return format_number(value, max(-value.as_tuple().exponent, 0))


def format_price(value: Decimal, exact: bool = False) -> str:
    """A price in euros: "45,93 €"; rounded as `rounded`, or EXACT with every digit kept."""
    value = Decimal(value) if exact else rounded(value)
    return format_currency(value.normalize(), "EUR", locale=_locale(), decimal_quantization=False)


def format_signed(value: Decimal) -> str:
    """An exact difference with its sign: "+0,004" or "-0,0031"."""
    return babel_decimal(
        value, _pattern("+#,##0.0#####;-#,##0.0#####"), locale=_locale(), decimal_quantization=False
    )


def format_size(size: int | float | Decimal | None) -> str:
    """Bytes in binary units: "10 GiB", "512 MiB", "1,5 GiB"; None as "unknown"."""
    if size is None:
        return str(UNKNOWN)
    value = Decimal(size)
    unit = 0
    while abs(value) >= KIBI and unit < len(BINARY_UNITS) - 1:
        value /= KIBI
        unit += 1
    return f"{babel_decimal(value, _pattern('#,##0.#'), locale=_locale())} {BINARY_UNITS[unit]}"


def _locale() -> Locale:
    """The page's locale as Babel's object: a locale's name would be parsed again by every
    formatter."""
    return get_locale() or ENGLISH


@cache
def _pattern(pattern: str) -> NumberPattern:
    """A number pattern, parsed once (Babel parses a pattern given as text on every call)."""
    return parse_pattern(pattern)
