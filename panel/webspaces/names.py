"""Names of webspaces, domains, databases and users, and the other values that reach a host:
checked strictly here, before anything is written or queued."""

import re
import unicodedata
from urllib.parse import urlsplit

import idna
from flask_babel import lazy_gettext as _l

from panel.core.errors import ValidationFailed
from panel.core.public_keys import WeakKey, parse_public_key
from panel.core.validators import clean_text

WEBSPACE_NAME = re.compile(r"[a-z]{3}[0-9]{2}")
USER_SUFFIX = re.compile(r"[a-z][a-z0-9]{1,15}")
DATABASE_SUFFIX = re.compile(r"[a-z][a-z0-9_]{0,15}")
# The same patterns as the domain playbook's (roles/domain/vars/main.yml): what passes here
# passes there.
DOCUMENT_ROOT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")
REDIRECT = re.compile(r"https?://[^\s\"\\$;{}]+")
MAX_DOMAIN_LENGTH = 253
# A host names a site's files after its domain (roles/domain's domain_name_max_length): 255
# bytes, the longest file name, less 14; and its default document root, domains/<name>/htdocs,
# is kept in 255 characters: 240 at most.
MAX_SITE_NAME_LENGTH = 240
MAX_LABEL_LENGTH = 63
MAX_KEYS = 20
# Scripts that are written together in one word (Japanese, Chinese, Korean); any other label
# with letters of two scripts is refused, since that is how look-alike names are made
# ("pаypal" with a Cyrillic а).
SCRIPT_FAMILIES = (
    {"CJK", "HIRAGANA", "KATAKANA", "LATIN"},
    {"CJK", "HANGUL", "LATIN"},
    {"CJK", "BOPOMOFO", "LATIN"},
)


def clean_webspace_name(field: str, value: object, prefix: str) -> str:
    text = clean_text(field, value, max_length=5)
    if not WEBSPACE_NAME.fullmatch(text) or not text.startswith(prefix):
        raise ValidationFailed.field(
            field, _l("Your prefix %(prefix)s and two digits, e.g. %(prefix)s00.", prefix=prefix)
        )
    return text


def clean_user_name(field: str, value: object, webspace: str) -> str:
    """abc00-anna: the webspace, a hyphen, and 2 to 16 lowercase letters and digits."""
    text = clean_text(field, value, max_length=32)
    suffix = text.removeprefix(f"{webspace}-") if text.startswith(f"{webspace}-") else text
    if not USER_SUFFIX.fullmatch(suffix):
        raise ValidationFailed.field(
            field,
            _l(
                "%(webspace)s- and 2 to 16 lowercase letters and digits, starting with a letter.",
                webspace=webspace,
            ),
        )
    return f"{webspace}-{suffix}"


def clean_database_name(field: str, value: object, webspace: str) -> str:
    """abc00_shop: the webspace, an underscore, and up to 16 lowercase letters, digits and _."""
    text = clean_text(field, value, max_length=32)
    suffix = text.removeprefix(f"{webspace}_") if text.startswith(f"{webspace}_") else text
    # abc00_shop under xyz00 would read as abc00's database.
    if not DATABASE_SUFFIX.fullmatch(suffix) or re.match(r"[a-z]{3}[0-9]{2}_", suffix):
        raise ValidationFailed.field(
            field,
            _l(
                "%(webspace)s_ and up to 16 lowercase letters, digits and _, "
                "starting with a letter.",
                webspace=webspace,
            ),
        )
    return f"{webspace}_{suffix}"


# The idna library's reasons are English only; its error codes say them in the page's language.
IDNA_REASONS = {
    "disallowed_codepoint": _l("it holds a character domain names may not have"),
    "uts46_disallowed": _l("it holds a character domain names may not have"),
    "uts46_std3": _l("it holds a character domain names may not have"),
    "unknown_codepoint": _l("it holds a character domain names may not have"),
    "contextj": _l("a joining character stands where it may not"),
    "contexto": _l("a special character stands where it may not"),
    "hyphen_3_4": _l("a part has two hyphens in its third and fourth place"),
    "hyphen_start_end": _l("a part starts or ends with a hyphen"),
    "leading_combiner": _l("a part begins with a combining mark"),
    "not_nfc": _l("a part is not in Unicode normal form C"),
    "empty_label": _l("it has an empty part"),
    "empty_domain": _l("it is empty"),
    "label_too_long": _l("a part is too long"),
    "domain_too_long": _l("the name is too long"),
    "input_too_long": _l("the name is too long"),
    "invalid_alabel": _l("a part starting with xn-- is not valid punycode"),
    "non_canonical_alabel": _l("a part starting with xn-- is not valid punycode"),
    "invalid_ascii": _l("a part starting with xn-- is not valid punycode"),
    "invalid_utf8": _l("it is not valid text"),
}
CODEPOINT = re.compile(r"Codepoint U\+([0-9A-F]{4,6})")
BIDI_REASON = _l("it mixes right-to-left and left-to-right writing in a way that is not allowed")
OTHER_REASON = _l("the IDNA rules refuse it")


def idna_reason(exc: Exception) -> str:
    """Why the idna library refused a name, in the page's language."""
    code = getattr(exc, "code", None) or ""
    named = CODEPOINT.search(str(exc))
    if named and code in ("disallowed_codepoint", "uts46_disallowed", "uts46_std3"):
        char = chr(int(named.group(1), 16))
        shown = f"“{char}”" if char.isprintable() else f"U+{named.group(1)}"
        reason = _l("it holds the character %(char)s, which domain names may not have", char=shown)
        return str(reason)
    if code.startswith("bidi"):
        return str(BIDI_REASON)
    return str(IDNA_REASONS.get(code, OTHER_REASON))


def clean_domain(field: str, value: object) -> str:
    """A host name as its A-label (IDNA 2008 with UTS 46 mapping), refused when not strictly
    valid: length, labels, hyphens, characters, punycode, and mixed-script look-alikes."""
    if not isinstance(value, str):
        raise ValidationFailed.field(field, _l("Must be text."))
    text = value.strip().removesuffix(".")
    if not text:
        raise ValidationFailed.field(field, _l("Must not be empty."))
    if len(text) > MAX_DOMAIN_LENGTH:
        raise ValidationFailed.field(
            field, _l("At most %(count)s characters.", count=MAX_DOMAIN_LENGTH)
        )
    if any(char in text for char in "/\\:@?#%&;|`$'\" <>*()[]{}!,=+~^\t\n\r"):
        raise ValidationFailed.field(field, _l("A domain name holds no spaces, paths or symbols."))
    try:
        ascii_name = idna.encode(text, uts46=True).decode("ascii")
        unicode_name = idna.decode(ascii_name)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise ValidationFailed.field(
            field, _l("Not a valid domain name: %(reason)s", reason=idna_reason(exc))
        ) from exc
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise ValidationFailed.field(field, _l("Give the full name, e.g. example.org."))
    if len(ascii_name) > MAX_DOMAIN_LENGTH:
        raise ValidationFailed.field(
            field, _l("At most %(count)s characters.", count=MAX_DOMAIN_LENGTH)
        )
    for label in labels:
        if not label or len(label) > MAX_LABEL_LENGTH:
            raise ValidationFailed.field(
                field, _l("Each part has 1 to %(count)s characters.", count=MAX_LABEL_LENGTH)
            )
        if label.startswith("-") or label.endswith("-"):
            raise ValidationFailed.field(field, _l("No part may start or end with a hyphen."))
    if labels[-1].isdigit():
        raise ValidationFailed.field(field, _l("An address is not a domain name."))
    for label in unicode_name.split("."):
        if _mixes_scripts(label):
            raise ValidationFailed.field(
                field,
                _l("%(label)s mixes letters of different scripts, as look-alikes do.", label=label),
            )
    return ascii_name


def clean_site_name(field: str, value: object) -> str:
    """A domain a webspace serves: clean_domain's name, short enough for the host's files."""
    name = clean_domain(field, value)
    if len(name) > MAX_SITE_NAME_LENGTH:
        raise ValidationFailed.field(
            field,
            _l(
                "At most %(count)s characters for a site (as an A-label): a host names the "
                "site's files after it.",
                count=MAX_SITE_NAME_LENGTH,
            ),
        )
    return name


def display_domain(ascii_name: str) -> str:
    """The U-label form for people; the A-label where it does not decode."""
    try:
        return idna.decode(ascii_name)
    except (idna.IDNAError, UnicodeError):
        return ascii_name


def _scripts(label: str) -> set[str]:
    scripts = set()
    for char in label:
        if not unicodedata.category(char).startswith("L"):
            continue
        name = unicodedata.name(char, "")
        script = name.split(" ")[0]
        scripts.add("CJK" if script in ("CJK", "IDEOGRAPHIC") else script)
    return scripts


def _mixes_scripts(label: str) -> bool:
    scripts = _scripts(label)
    if len(scripts) <= 1:
        return False
    return not any(scripts <= family for family in SCRIPT_FAMILIES)


def clean_document_root(field: str, value: object, default: str) -> str:
    """A folder below the webspace's home, as a relative path without `..`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    text = clean_text(field, value, max_length=200).rstrip("/")
    if not DOCUMENT_ROOT.fullmatch(text) or any(part in (".", "..") for part in text.split("/")):
        raise ValidationFailed.field(
            field, _l("A folder below the webspace, e.g. domains/example.org/htdocs.")
        )
    return text


def clean_redirect(field: str, value: object) -> str:
    """Empty, or an absolute http(s) URL the domain answers 301 to."""
    if value is None:
        return ""
    text = clean_text(field, value, max_length=2000, required=False)
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise ValidationFailed.field(field, _l("An address starting with https:// or http://."))
    if not REDIRECT.fullmatch(text) or any(char in "'<>`|^" for char in text):
        raise ValidationFailed.field(field, _l("An address starting with https:// or http://."))
    clean_domain(field, parts.hostname)
    return text


def clean_public_keys(field: str, value: object) -> list[str]:
    """OpenSSH public key lines (one per line), each parsed; at least one."""
    if isinstance(value, list):
        value = "\n".join(str(line) for line in value)
    text = clean_text(field, value, max_length=MAX_KEYS * 1000, multiline=True)
    keys = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            keys.append(parse_public_key(line).line)
        except WeakKey as exc:
            raise ValidationFailed.field(
                field, _l("Line %(number)s: RSA keys need 3072 bits or more.", number=number)
            ) from exc
        except ValueError as exc:
            raise ValidationFailed.field(
                field, _l("Line %(number)s is not an OpenSSH public key.", number=number)
            ) from exc
    if not keys:
        raise ValidationFailed.field(field, _l("Give at least one public key."))
    if len(keys) > MAX_KEYS:
        raise ValidationFailed.field(field, _l("At most %(count)s keys.", count=MAX_KEYS))
    return keys


def clean_flag(field: str, value: object) -> bool:
    """A yes/no value from JSON (true/false) or a form (on/absent)."""
    if isinstance(value, bool):
        return value
    if value in ("on", "true", "1", "y"):
        return True
    if value in (None, "", "off", "false", "0", "n"):
        return False
    raise ValidationFailed.field(field, _l("Yes or no."))


def searched_domain_forms(text: str) -> set[str]:
    """What a search for TEXT compares with the stored (ASCII) domain names: the text itself
    and, where it is a whole name or label in Unicode, its A-label form."""
    try:
        return {text, idna.encode(text, uts46=True).decode("ascii")}
    except (idna.IDNAError, UnicodeError, ValueError):
        return {text}
