"""Validators shared by forms, the API and the CLI. Each returns the clean value or raises
ValidationFailed naming the field, before anything is written."""

import re
import unicodedata
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from panel.core.errors import ValidationFailed

PREFIX_PATTERN = re.compile(r"[a-z]{3}")
ASCII_WHITESPACE = " \t\n\r\f\v"
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Control characters, and lone surrogates (which JSON can carry but no database can store);
# a single line also refuses the Unicode line and paragraph separators.
MULTILINE_REFUSED = {"Cc", "Cs"}
SINGLE_LINE_REFUSED = {"Cc", "Cs", "Zl", "Zp"}


def clean_text(
    field: str, value: object, *, max_length: int, required: bool = True, multiline: bool = False
) -> str:
    """A string of bounded length without control characters, stripped."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed.field(field, _l("Must be text."))
    value = value.strip()
    if required and not value:
        raise ValidationFailed.field(field, _l("Must not be empty."))
    if len(value) > max_length:
        raise ValidationFailed.field(field, _l("At most %(count)s characters.", count=max_length))
    allowed = {"\n", "\r", "\t"} if multiline else set()
    refused = MULTILINE_REFUSED if multiline else SINGLE_LINE_REFUSED
    if any(unicodedata.category(char) in refused and char not in allowed for char in value):
        raise ValidationFailed.field(field, _l("Control characters are not allowed."))
    return value


def clean_email(field: str, value: object) -> str:
    text = clean_text(field, value, max_length=254)
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        # email_validator's reason is English only; the sentence around it is translated.
        message = _l("Not a valid email address: %(reason)s", reason=str(exc))
        raise ValidationFailed.field(field, message) from exc
    return result.normalized.lower()


def clean_prefix(field: str, value: object) -> str:
    text = clean_text(field, value, max_length=3)
    if not PREFIX_PATTERN.fullmatch(text):
        raise ValidationFailed.field(field, _l("Exactly three lowercase letters a-z."))
    return text


def clean_choice(field: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        message = _l("Choose one of: %(choices)s.", choices=", ".join(choices))
        raise ValidationFailed.field(field, message)
    return value


def clean_positive_int(field: str, value: object, *, maximum: int) -> int:
    if isinstance(value, bool):
        raise ValidationFailed.field(field, _l("Must be a whole number."))
    # Only ASCII white space around ASCII digits: str.strip() would also drop "\x1f", and
    # isdigit() alone passes "²", which int() refuses; past 4300 digits int() refuses too, and
    # such a number is over any maximum anyway.
    digits = value.strip(ASCII_WHITESPACE) if isinstance(value, str) else ""
    if digits.isascii() and digits.isdigit():
        value = int(digits) if len(digits) <= 4300 else maximum + 1
    if not isinstance(value, int):
        raise ValidationFailed.field(field, _l("Must be a whole number."))
    if value < 1:
        raise ValidationFailed.field(field, _l("Must be at least 1."))
    if value > maximum:
        raise ValidationFailed.field(field, _l("Must be at most %(maximum)s.", maximum=maximum))
    return value


def clean_date(field: str, value: object, *, not_after: date | None = None) -> date:
    if isinstance(value, str):
        # fromisoformat alone would also take "20260101" and week dates like "2026-W01-1".
        text = value.strip()
        try:
            if not DATE_PATTERN.fullmatch(text):
                raise ValueError(text)
            value = date.fromisoformat(text)
        except ValueError as exc:
            raise ValidationFailed.field(field, _l("A date as YYYY-MM-DD.")) from exc
    # A datetime is a date too, but cannot be compared with one.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationFailed.field(field, _l("A date as YYYY-MM-DD."))
    if not_after is not None and value > not_after:
        message = _l("Must not be after %(date)s.", date=not_after.isoformat())
        raise ValidationFailed.field(field, message)
    return value


def is_local_path(target: str) -> bool:
    """Whether a redirect target stays on this site: a path, not an absolute or
    scheme-relative URL; browsers read a backslash as a slash and drop tabs and newlines."""
    return (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    )


def reject_unknown(data: dict, allowed: set[str] | tuple[str, ...]) -> None:
    """Refuse fields an operation does not take, each named."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(
            _l("Unknown fields."), {name: [_l("Unknown field.")] for name in unknown}
        )
