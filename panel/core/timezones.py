"""Time zones people choose from (the IANA names Flask-Babel's pytz knows), and the one check
of a chosen name: for the account page, the API and the PANEL_TIMEZONE setting."""

import pytz
from flask_babel import lazy_gettext as _l

from panel.config import timezone_name
from panel.core.errors import ValidationFailed

# The longest IANA name is 32 characters (America/Argentina/ComodRivadavia).
TIMEZONE_LENGTH = 64
CHOICES = tuple(pytz.common_timezones)


def clean_timezone(field: str, value: object) -> str:
    """A time zone a person chose, by its IANA name such as Europe/Berlin."""
    if not isinstance(value, str) or len(value) > TIMEZONE_LENGTH:
        raise ValidationFailed.field(field, _l("Choose a time zone from the list."))
    try:
        return timezone_name(value.strip())
    except ValueError as exc:
        raise ValidationFailed.field(field, _l("Choose a time zone from the list.")) from exc
