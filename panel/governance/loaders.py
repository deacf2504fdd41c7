"""The one way the pages and the API load a resolution and its items by id, with the access
check and one 404 in the request's language."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from panel.core.access import own_member, require_role
from panel.core.errors import NotFound
from panel.core.roles import MEMBER_ROLES, Role
from panel.extensions import db
from panel.governance import phases
from panel.governance.models import Resolution, ResolutionItem
from panel.governance.operations import visible_to_members


def require_governance(user: Any = None) -> None:
    """Resolutions are for the board and the members: a customer, or a login that belongs to
    no member, is refused (403)."""
    user = user or current_user
    require_role(Role.ADMIN, *MEMBER_ROLES, user=user)
    if user.role != Role.ADMIN:
        own_member(user)


def load_resolution(resolution_id: int, *, change: bool = False, user: Any = None) -> Resolution:
    """The resolution if the user may see it (admins every one, members those announced), in
    the phase the clock puts it in. CHANGE (drafting, announcing, deleting) is the board's."""
    user = user or current_user
    require_governance(user)
    if change:
        require_role(Role.ADMIN, user=user)
    resolution = db.session.get(Resolution, resolution_id)
    if resolution is None or (user.role != Role.ADMIN and not visible_to_members(resolution)):
        raise NotFound(_l("No such resolution."))
    return phases.catch_up(resolution)


def load_item(resolution: Resolution, item_id: int) -> ResolutionItem:
    """An item (the motion or an amendment) of this resolution."""
    item = db.session.get(ResolutionItem, item_id)
    if item is None or item.resolution_id != resolution.id:
        raise NotFound(_l("No such motion or amendment."))
    return item
