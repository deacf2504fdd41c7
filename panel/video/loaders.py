"""The one way pages and the API load video's rows by id: with the access check, and the same
404 for what is missing and what is not the user's. A room shared with a member is seen (and
started) by that member's users, but changed only by its owner."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, or_, select

from panel.core.access import can_change, load
from panel.core.errors import MAX_ID, NotFound
from panel.core.roles import MEMBER_ROLES, Role
from panel.extensions import db
from panel.video.models import BbbServer, Room, RoomShare, VideoTenant

NO_ROOM = _l("No such room.")


def _shared_with(user: Any, room: Room) -> bool:
    return (
        user.role in MEMBER_ROLES
        and user.member_id is not None
        and any(share.member_id == user.member_id for share in room.shares)
    )


def load_room(room_id: int, *, change: bool = False, user: Any = None) -> Room:
    user = user or current_user
    room = db.session.get(Room, room_id) if 0 < room_id <= MAX_ID else None
    if room is None:
        raise NotFound(NO_ROOM)
    if can_change(user, room) or (not change and _shared_with(user, room)):
        return room
    raise NotFound(NO_ROOM)


def room_by_slug(slug: str) -> Room:
    """A room by its public address: anyone may open it."""
    room = db.session.scalar(select(Room).where(Room.slug == slug[:64].lower()))
    if room is None:
        raise NotFound(NO_ROOM)
    return room


def visible_rooms(user: Any = None) -> Select:
    """Admins: all rooms; members: their member's and those shared with it."""
    user = user or current_user
    stmt = select(Room).order_by(Room.name, Room.id)
    if user.role == Role.ADMIN:
        return stmt
    if user.member_id is None:
        return stmt.where(Room.id.is_(None))
    shared = select(RoomShare.room_id).where(RoomShare.member_id == user.member_id)
    return stmt.where(or_(Room.member_id == user.member_id, Room.id.in_(shared)))


def load_share(share_id: int) -> RoomShare:
    return load(RoomShare, share_id, _l("No such share."), change=True)


def load_tenant(tenant_id: int) -> VideoTenant:
    return load(VideoTenant, tenant_id, _l("No such video tenant."))


def load_bbb_server(server_id: int) -> BbbServer:
    return load(BbbServer, server_id, _l("No such BigBlueButton server."))
