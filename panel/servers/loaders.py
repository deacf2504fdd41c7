"""The one way the pages and the API load a managed server or one of its parts by id: with the
access check, and the same 404 for what is missing and what is not the user's."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, or_, select

from panel.core.access import load
from panel.core.roles import Role
from panel.servers.models import Server, ServerKey, ServerPort, ServerUser


def load_server(server_id: int, *, change: bool = False) -> Server:
    return load(Server, server_id, _l("No such server."), change=change)


def load_server_user(user_id: int, *, change: bool = False) -> ServerUser:
    return load(ServerUser, user_id, _l("No such server user."), change=change)


def load_server_key(key_id: int, *, change: bool = False) -> ServerKey:
    return load(ServerKey, key_id, _l("No such key."), change=change)


def load_server_port(port_id: int, *, change: bool = False) -> ServerPort:
    return load(ServerPort, port_id, _l("No such port."), change=change)


def visible_servers(user=None) -> Select:
    """The servers the user sees (as panel.core.access decides for one): admins all, resellers
    and members their member's, a customer its own."""
    user = user or current_user
    stmt = select(Server).order_by(Server.id.desc())
    if user.role == Role.ADMIN:
        return stmt
    if user.role == Role.CUSTOMER:
        return stmt.where(Server.customer_id == user.id)
    own = [Server.reseller_id == user.id]
    if user.member_id is not None:
        own.append(Server.member_id == user.member_id)
    return stmt.where(or_(*own))
