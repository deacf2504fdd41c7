"""Changes to a managed server's unix users and their SSH keys; each re-runs server.yml with
the server's whole desired state."""

from typing import Any

from flask_babel import lazy_gettext as _l

from panel.core.audit import snapshot
from panel.core.errors import Conflict, ValidationFailed
from panel.extensions import db
from panel.provisioning.models import Job
from panel.provisioning.operations import ensure_idle
from panel.servers.changes import apply_change, ensure_in_service
from panel.servers.models import Server, ServerKey, ServerUser
from panel.servers.names import clean_public_key, clean_user_name
from panel.servers.sizes import size_named

MAX_USERS = 50
MAX_KEYS = 20
USER_FIELDS = ("server_id", "name", "sudo")
KEY_FIELDS = ("server_user_id", "fingerprint", "comment")


def _clean_sudo(server: Server, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed.field("sudo", _l("Yes or no."))
    if value and not size_named("size", server.size).sudo:
        raise ValidationFailed.field(
            "sudo", _l("The size %(size)s allows no sudo.", size=server.size)
        )
    return value


def _clean_keys(value: Any) -> list[tuple[str, str, str]]:
    """Public key lines (a list, or text with one per line), each parsed, each once."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [line for line in value.splitlines() if line.strip()]
    if not isinstance(value, list):
        raise ValidationFailed.field("keys", _l("A list of public key lines."))
    if len(value) > MAX_KEYS:
        raise ValidationFailed.field("keys", _l("At most %(count)s keys.", count=MAX_KEYS))
    keys = []
    for number, line in enumerate(value, start=1):
        try:
            keys.append(clean_public_key("keys", line))
        except ValidationFailed as exc:
            message = _l("Key %(number)s: %(problem)s", number=number, problem=exc.message)
            raise ValidationFailed.field("keys", message) from exc
    if len({fingerprint for _, fingerprint, _ in keys}) != len(keys):
        raise ValidationFailed.field("keys", _l("The same key twice."))
    return keys


def add_user(
    server: Server, name: Any, sudo: Any = False, keys: Any = None
) -> tuple[ServerUser, Job]:
    name = clean_user_name("name", name)
    sudo = _clean_sudo(server, sudo)
    cleaned = _clean_keys(keys)
    ensure_idle(server)
    ensure_in_service(server)
    if any(user.name == name for user in server.users):
        raise Conflict(_l("The server has a user of this name."), {"name": [_l("Taken.")]})
    if len(server.users) >= MAX_USERS:
        raise Conflict(_l("A server has at most %(count)s users.", count=MAX_USERS))
    user = ServerUser(name=name, sudo=sudo)
    user.keys = [
        ServerKey(public_key=line, fingerprint=fingerprint, comment=comment)
        for line, fingerprint, comment in cleaned
    ]
    server.users.append(user)
    db.session.flush()
    job = apply_change(server, "server.user.add", user, None, snapshot(user, USER_FIELDS))
    return user, job


def remove_user(user: ServerUser) -> Job:
    """The user and its home leave the server."""
    server = user.server
    ensure_idle(server)
    ensure_in_service(server)
    before = snapshot(user, USER_FIELDS)
    server.users.remove(user)
    return apply_change(server, "server.user.remove", user, before, None)


def add_key(user: ServerUser, line: Any) -> tuple[ServerKey, Job]:
    public_key, fingerprint, comment = clean_public_key("public_key", line)
    server = user.server
    ensure_idle(server)
    ensure_in_service(server)
    if any(key.fingerprint == fingerprint for key in user.keys):
        raise Conflict(_l("The user has this key already."), {"public_key": [_l("Taken.")]})
    if len(user.keys) >= MAX_KEYS:
        raise Conflict(_l("A user has at most %(count)s keys.", count=MAX_KEYS))
    key = ServerKey(public_key=public_key, fingerprint=fingerprint, comment=comment)
    user.keys.append(key)
    db.session.flush()
    job = apply_change(server, "server.key.add", key, None, snapshot(key, KEY_FIELDS))
    return key, job


def remove_key(key: ServerKey) -> Job:
    user = key.user
    server = user.server
    ensure_idle(server)
    ensure_in_service(server)
    before = snapshot(key, KEY_FIELDS)
    user.keys.remove(key)
    return apply_change(server, "server.key.remove", key, before, None)
