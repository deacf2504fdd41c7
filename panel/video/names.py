"""The values of video: BBB servers' names and secrets, limits, rooms' names, friendly URLs and
access codes, guests' names. Checked strictly before anything is written or sent."""

import ipaddress
import re
from typing import Any

from flask_babel import lazy_gettext as _l

from panel.core.errors import ValidationFailed
from panel.core.validators import clean_text
from panel.webspaces.names import clean_domain

SECRET = re.compile(r"[A-Za-z0-9_-]{16,128}")
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])")
CODE = re.compile(r"[A-Za-z0-9]{4,32}")
# Slugs the panel's own paths could be mistaken for.
RESERVED_SLUGS = frozenset({"new", "api", "admin", "static", "join", "wait"})


def clean_server_domain(field: str, value: Any) -> str:
    """A BBB server as BBBLB names it: a domain or an IPv4 address, with an optional port."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.field(field, _l("Must not be empty."))
    name, _, port = value.strip().lower().partition(":")
    if port:
        if not (port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536):
            raise ValidationFailed.field(field, _l("A port from 1 to 65535."))
        port = f":{int(port)}"
    try:
        address = ipaddress.IPv4Address(name)
    except ValueError:
        return clean_domain(field, name) + port
    return f"{address}{port}"


def clean_secret(field: str, value: Any) -> str:
    if not isinstance(value, str) or not SECRET.fullmatch(value.strip()):
        raise ValidationFailed.field(
            field, _l("16 to 128 letters, digits, hyphens or underscores.")
        )
    return value.strip()


def clean_limit(field: str, value: Any, highest: int) -> int | None:
    """A positive whole number up to HIGHEST, or none (empty: no limit)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) <= 7 else 0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= highest:
        raise ValidationFailed.field(
            field, _l("A whole number from 1 to %(highest)s, or empty.", highest=highest)
        )
    return value


def clean_room_name(field: str, value: Any) -> str:
    return clean_text(field, value, max_length=100)


def clean_slug(field: str, value: Any) -> str:
    """A room's friendly URL: /r/<slug>."""
    if not isinstance(value, str):
        raise ValidationFailed.field(field, _l("Must be text."))
    slug = value.strip().lower()
    if not SLUG.fullmatch(slug) or "--" in slug or slug in RESERVED_SLUGS:
        raise ValidationFailed.field(
            field,
            _l(
                "3 to 64 small letters, digits and single hyphens, "
                "starting and ending with a letter or digit."
            ),
        )
    return slug


def slug_from(name: str) -> str:
    """A suggestion for a room's friendly URL from its name."""
    folded = name.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        folded = folded.replace(umlaut, plain)
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:56].strip("-")
    return slug if len(slug) >= 3 else f"room-{slug}".strip("-")


def clean_code(field: str, value: Any) -> str | None:
    """An access code: 4 to 32 letters or digits, or none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not CODE.fullmatch(value.strip()):
        raise ValidationFailed.field(field, _l("4 to 32 letters or digits, or empty."))
    return value.strip()


def clean_guest_name(field: str, value: Any) -> str:
    return clean_text(field, value, max_length=64)
