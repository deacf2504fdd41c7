"""The fixed English messages of marshmallow (and the API's own schema messages), said in the
request's language: the API's JSON errors read like the pages' form errors."""

import re

from flask_babel import gettext


def N_(message: str) -> str:
    """Marks MESSAGE for translation where it is only known, not yet said."""
    return message


# Each as marshmallow formats it, with its placeholders as %(name)s.
MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid type."),
    N_("Invalid input type."),
    N_("Invalid input."),
    N_("Unknown field."),
    N_("The body must be a JSON object."),
    N_("Not a valid list."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid integer."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid date."),
    N_("Not a valid mapping type."),
    N_("Not a valid URL."),
    N_("Not a valid email address."),
    N_("Not a valid IP address."),
    N_("Must not be blank."),
    N_("Not valid Unicode text."),
    N_("Control characters are not allowed."),
    N_("String does not match expected pattern."),
    N_("Must be one of: %(choices)s."),
    N_("Shorter than minimum length %(min)s."),
    N_("Longer than maximum length %(max)s."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Length must be %(equal)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
)
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(message: str) -> re.Pattern:
    parts = PLACEHOLDER.split(message)
    # split alternates text and placeholder names: text, name, text, ...
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
        for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.DOTALL)


PATTERNS = tuple((_pattern(message), message) for message in MESSAGES)


def translated(message: str) -> str:
    """MESSAGE in the request's language where it is one of MESSAGES, else unchanged."""
    for pattern, msgid in PATTERNS:
        found = pattern.match(message)
        if found:
            return gettext(msgid, **found.groupdict())
    return message
