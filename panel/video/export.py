"""The member's video tenant and rooms in its data export: names, links and settings, never the
tenant's secret or a room's access codes."""

from sqlalchemy import select

from panel.core.export import fields_of
from panel.extensions import db
from panel.video import rooms
from panel.video.models import Room, VideoTenant

TENANT_FIELDS = (
    "name",
    "realm",
    "max_participants",
    "max_duration_minutes",
    "recording_allowed",
    "state",
    "created_at",
    "secret_rotated_at",
    "ended_at",
)
# A room's settings as the pages take them (never its access codes), with its id and age.
ROOM_FIELDS = ("id", *rooms.FIELDS, "created_at")


def video_part(member) -> dict:
    tenant = db.session.scalar(select(VideoTenant).where(VideoTenant.member_id == member.id))
    rooms = db.session.scalars(
        select(Room).where(Room.member_id == member.id).order_by(Room.id)
    ).all()
    return {
        "tenant.json": fields_of(tenant, TENANT_FIELDS) if tenant else None,
        "rooms.json": [
            {
                **fields_of(room, ROOM_FIELDS),
                "viewer_code_set": room.viewer_code is not None,
                "moderator_code_set": room.moderator_code is not None,
                "shared_with": [share.member.number for share in room.shares],
            }
            for room in rooms
        ],
    }
