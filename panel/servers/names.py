"""The values of a managed server that reach its host, checked strictly before anything is
written: stacks, unix user names, OpenSSH public keys, ports, services, release modes."""

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from panel.core.errors import ValidationFailed
from panel.core.public_keys import MIN_RSA_BITS, WeakKey, parse_public_key
from panel.core.validators import clean_choice, clean_text
from panel.servers.models import Proto, ReleaseMode, Stack

USER_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# Accounts Debian, its packages and the playbooks use: a customer's user may not take one.
SYSTEM_USERS = frozenset(
    [
        "root",
        "daemon",
        "bin",
        "sys",
        "sync",
        "games",
        "man",
        "lp",
        "mail",
        "news",
        "uucp",
        "proxy",
        "www-data",
        "backup",
        "list",
        "irc",
        "gnats",
        "nobody",
        "messagebus",
        "sshd",
        "mysql",
        "postgres",
        "nginx",
        "polkitd",
        "panel",
        "panel-users",
        "admin",
        "node-exp",
        "prometheus",
        "tss",
        "uuidd",
    ]
)
# server-restart.yml's services, and the stack each needs (None: every server has it).
SERVICES = {
    "nginx": Stack.WEB,
    "php-fpm": Stack.WEB,
    "mariadb": Stack.MARIADB,
    "postgresql": Stack.POSTGRESQL,
    "ssh": None,
}


def clean_stacks(field: str, value: Any) -> list[str]:
    """A list of distinct stacks, in their canonical order."""
    known = tuple(stack.value for stack in Stack)
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise ValidationFailed.field(
            field, _l("A list of stacks: %(stacks)s.", stacks=", ".join(known))
        )
    for item in value:
        clean_choice(field, item, known)
    if len(set(value)) != len(value):
        raise ValidationFailed.field(field, _l("Each stack once."))
    return [stack for stack in known if stack in value]


def clean_user_name(field: str, value: Any) -> str:
    text = clean_text(field, value, max_length=32)
    if not USER_NAME.fullmatch(text):
        raise ValidationFailed.field(
            field,
            _l("1 to 32 lowercase letters, digits, - and _, starting with a letter."),
        )
    if text in SYSTEM_USERS or text.startswith("systemd-"):
        raise ValidationFailed.field(field, _l("This name belongs to the system."))
    return text


def clean_public_key(field: str, value: Any) -> tuple[str, str, str]:
    """One OpenSSH public key line, parsed: (the line to authorize, its SHA256 fingerprint,
    its comment)."""
    text = clean_text(field, value, max_length=16000)
    try:
        key = parse_public_key(text)
    except WeakKey as exc:
        raise ValidationFailed.field(
            field, _l("RSA keys need %(bits)s bits or more.", bits=MIN_RSA_BITS)
        ) from exc
    except ValueError as exc:
        raise ValidationFailed.field(field, _l("Not an OpenSSH public key line.")) from exc
    return key.line, key.fingerprint, key.comment


def clean_port(field: str, value: Any) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) <= 6 else 0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValidationFailed.field(field, _l("A port from 1 to 65535."))
    return value


def clean_proto(field: str, value: Any) -> str:
    return clean_choice(field, value, tuple(proto.value for proto in Proto))


def clean_mode(field: str, value: Any) -> str:
    return clean_choice(field, value, tuple(mode.value for mode in ReleaseMode))


def clean_service(field: str, value: Any, stacks: list[str]) -> str:
    """A service server-restart.yml restarts, of a stack the server has."""
    service = clean_choice(field, value, tuple(SERVICES))
    stack = SERVICES[service]
    if stack is not None and stack not in stacks:
        raise ValidationFailed.field(
            field, _l("The server has no %(stack)s stack.", stack=stack.value)
        )
    return service
