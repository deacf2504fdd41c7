"""Rooms: made, changed, shared and removed by their owner. A room lives in the panel only; its
meeting exists on the cluster while it runs (panel.video.meetings)."""

import secrets
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from panel.coop.models import Member
from panel.core.audit import record, snapshot
from panel.core.errors import Conflict, ValidationFailed
from panel.extensions import db
from panel.video.models import Room, RoomShare, VideoTenant
from panel.video.names import (
    clean_code,
    clean_limit,
    clean_room_name,
    clean_slug,
    slug_from,
)
from panel.video.operations import ENDED, tenant_of
from panel.webspaces.names import clean_flag

FIELDS = (
    "name",
    "slug",
    "record",
    "mute_on_start",
    "waiting_room",
    "anyone_can_start",
    "all_moderators",
    "max_participants",
)
# What the pages' and the API's room input may hold: FIELDS and the access codes.
INPUT_FIELDS = (*FIELDS, "viewer_code", "moderator_code")
OPTIONS = ("record", "mute_on_start", "waiting_room", "anyone_can_start", "all_moderators")
MAX_ROOM_PARTICIPANTS = 1000


def _tenant(member: Member) -> VideoTenant:
    """The member's open tenant, locked (on PostgreSQL) so that it cannot end while a room is
    being made in it."""
    tenant = tenant_of(member)
    if tenant is None:
        raise Conflict(_l("Set up video first: the member has no video tenant yet."))
    db.session.refresh(tenant, with_for_update=True)
    if tenant.ended_at is not None:
        raise Conflict(ENDED)
    return tenant


def _room_limit(tenant: VideoTenant, value: Any) -> int | None:
    """A room's participant limit, within its tenant's."""
    limit = clean_limit("max_participants", value, MAX_ROOM_PARTICIPANTS)
    ceiling = tenant.max_participants
    if ceiling and limit and limit > ceiling:
        raise ValidationFailed.field(
            "max_participants",
            _l("Your plan allows at most %(count)s participants per meeting.", count=ceiling),
        )
    return limit


def _apply(room: Room, tenant: VideoTenant, values: dict[str, Any]) -> None:
    """The given values, checked, onto ROOM; absent keys stay as they are."""
    if "name" in values:
        room.name = clean_room_name("name", values["name"])
    if "slug" in values:
        room.slug = clean_slug("slug", values["slug"])
    for option in OPTIONS:
        if option in values:
            setattr(room, option, clean_flag(option, values[option]))
    if room.record and not tenant.recording_allowed:
        raise ValidationFailed.field("record", _l("Your plan does not include recordings."))
    if "max_participants" in values:
        room.max_participants = _room_limit(tenant, values["max_participants"])
    for code in ("viewer_code", "moderator_code"):
        if code in values:
            setattr(room, code, clean_code(code, values[code]))
    if room.viewer_code and room.viewer_code == room.moderator_code:
        raise ValidationFailed.field(
            "moderator_code", _l("The moderator code must differ from the viewer code.")
        )


def _flush_unique(room: Room) -> None:
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise ValidationFailed.field("slug", _l("This room address is taken.")) from exc


def create_room(member: Member, values: dict[str, Any]) -> Room:
    tenant = _tenant(member)
    count = db.session.scalar(
        select(func.count()).select_from(Room).where(Room.member_id == member.id)
    )
    if count >= current_app.config["VIDEO_MAX_ROOMS"]:
        raise Conflict(
            _l(
                "A member may have at most %(count)s rooms.",
                count=current_app.config["VIDEO_MAX_ROOMS"],
            )
        )
    values = dict(values)
    name = clean_room_name("name", values.get("name"))
    if not values.get("slug"):
        values["slug"] = slug_from(name)
    room = Room(member_id=member.id, tenant_id=tenant.id, meeting_id=secrets.token_hex(16))
    _apply(room, tenant, values)
    db.session.add(room)
    _flush_unique(room)
    record("room.create", room, after=snapshot(room, FIELDS), member_id=member.id)
    db.session.commit()
    return room


def update_room(room: Room, values: dict[str, Any]) -> Room:
    before = snapshot(room, FIELDS)
    _apply(room, room.tenant, values)
    _flush_unique(room)
    record(
        "room.update", room, before=before, after=snapshot(room, FIELDS), member_id=room.member_id
    )
    db.session.commit()
    return room


def delete_room(room: Room) -> None:
    record("room.delete", room, before=snapshot(room, FIELDS), member_id=room.member_id)
    db.session.delete(room)
    db.session.commit()


def share_room(room: Room, member_number: Any) -> RoomShare:
    """Share with another member, named by its member number (as on its invoices)."""
    number = str(member_number or "").strip()
    other = db.session.scalar(select(Member).where(Member.number == number)) if number else None
    if other is None or other.id == room.member_id:
        raise ValidationFailed.field("member", _l("No other member has this number."))
    if any(share.member_id == other.id for share in room.shares):
        raise ValidationFailed.field("member", _l("The room is shared with this member already."))
    share = RoomShare(room=room, member_id=other.id)
    db.session.add(share)
    db.session.flush()
    record("room.share", room, after={"member_id": other.id}, member_id=room.member_id)
    db.session.commit()
    return share


def unshare_room(share: RoomShare) -> None:
    room = share.room
    record("room.unshare", room, before={"member_id": share.member_id}, member_id=room.member_id)
    db.session.delete(share)
    db.session.commit()
