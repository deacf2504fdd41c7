"""The one place that decides who may see and change what.

Admins see everything. Members and resellers see what belongs to their member record; a reseller
also sees its customers' accounts and what they own; a customer sees only its own things, and
reads (never changes) what its reseller named as serving it (viewer_user_id). Accounts are
managed by admins (every one) and resellers (their customers'). API tokens are credentials:
only their owner sees them, admins included (an admin disables the account instead). An object
the user may not see is reported as missing (404), so that ids do not leak; an action the role
may not take at all is forbidden (403), whatever object it names.

Objects say who owns them (owner_member_id, owner_user_id, owner_reseller_id, private_to_owner,
office_only: see panel.core.models.Base), so this module needs no feature's models.
"""

from collections.abc import Callable, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, false

from panel.core.errors import Forbidden, Message, NotFound
from panel.core.roles import MEMBER_ROLES, Role
from panel.extensions import db


def owner_member_id(obj: Any) -> int | None:
    return getattr(obj, "owner_member_id", None)


def owner_user_id(obj: Any) -> int | None:
    return getattr(obj, "owner_user_id", None)


def _signed_in(user: Any) -> bool:
    return user is not None and user.is_authenticated


def _owns(user: Any, obj: Any) -> bool:
    """Whether the object is the user's, its member's or (for a reseller) its customer's."""
    if not _signed_in(user):
        return False
    if getattr(obj, "private_to_owner", False):
        return owner_user_id(obj) == user.id
    if user.role == Role.ADMIN:
        return True
    if owner_user_id(obj) == user.id:
        return True
    if user.role == Role.RESELLER and getattr(obj, "owner_reseller_id", None) == user.id:
        return True
    member_id = owner_member_id(obj)
    return user.role in MEMBER_ROLES and member_id is not None and member_id == user.member_id


def can_view(user: Any, obj: Any) -> bool:
    if _owns(user, obj):
        return True
    viewer = getattr(obj, "viewer_user_id", None)
    return _signed_in(user) and viewer is not None and viewer == user.id


def can_change(user: Any, obj: Any) -> bool:
    """Changing follows owning (a viewer only reads), except for records only the office
    keeps."""
    if getattr(obj, "office_only", False):
        return _signed_in(user) and user.role == Role.ADMIN
    return _owns(user, obj)


def can_manage(user: Any, account: Any) -> bool:
    """Whether the user keeps the account for someone: admins every account, a reseller its
    customers'. One's own account is changed on its own pages."""
    if not _signed_in(user):
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.RESELLER and getattr(account, "owner_reseller_id", None) == user.id


def require_view(obj: Any, user: Any = None) -> Any:
    user = user or current_user
    if obj is None or not can_view(user, obj):
        raise NotFound(_l("No such object."))
    return obj


def require_change(obj: Any, user: Any = None) -> Any:
    user = user or current_user
    require_view(obj, user)
    if not can_change(user, obj):
        raise Forbidden(_l("You may not change this."))
    return obj


def load(
    model: type,
    object_id: int,
    missing: Message,
    *,
    change: bool = False,
    manage: bool = False,
    user: Any = None,
    options: Sequence = (),
) -> Any:
    """The object of MODEL with OBJECT_ID if the user may see it (and change it, with CHANGE;
    manage it as an account, with MANAGE), loaded with the loader OPTIONS. What does not exist
    and what the user may not see raise the same NotFound with MISSING, a lazy message, so that
    the pages and the API answer alike in the request's language."""
    user = user or current_user
    obj = db.session.get(model, object_id, options=options)
    if obj is None or not can_view(user, obj) or (manage and not can_manage(user, obj)):
        raise NotFound(missing)
    return require_change(obj, user) if change else obj


def require_role(*roles: Role, user: Any = None) -> None:
    user = user or current_user
    if not _signed_in(user) or user.role not in roles:
        raise Forbidden(_l("Your role may not do this."))


def own_member(user: Any = None) -> Any:
    """The member record the user acts for. A login of a member role can exist without one (an
    admin made the account alone); it may then do nothing that belongs to a member."""
    user = user or current_user
    member = user.member if _signed_in(user) else None
    if member is None:
        raise Forbidden(_l("Your account belongs to no member of the cooperative."))
    return member


def scope_to_member(
    stmt: Select,
    member_column: Any,
    user: Any = None,
    *,
    viewed_by: Callable[[int], ColumnElement[bool]] | None = None,
) -> Select:
    """Restrict a query over member-owned rows to what the user may see. VIEWED_BY gives the
    condition for the rows a customer reads (see viewer_user_id); without it a customer sees
    none."""
    user = user or current_user
    if user.role == Role.ADMIN:
        return stmt
    if user.role in MEMBER_ROLES and user.member_id is not None:
        return stmt.where(member_column == user.member_id)
    if user.role == Role.CUSTOMER and viewed_by is not None:
        return stmt.where(viewed_by(user.id))
    return stmt.where(false())


def scope_to_managed(stmt: Select, reseller_column: Any, user: Any = None) -> Select:
    """Restrict a query over accounts to those the user manages (see can_manage)."""
    user = user or current_user
    if user.role == Role.ADMIN:
        return stmt
    if user.role == Role.RESELLER:
        return stmt.where(reseller_column == user.id)
    return stmt.where(false())
