"""A room's meeting on the cluster, through BBBLB with the room's tenant's secret: started by
its owner (or a member it is shared with), joined by guests with the room's link. Who gets a
moderator's join URL is decided here and only here: the owner, members it is shared with,
whoever knows the moderator code, and everyone in a room its owner set to "all moderators"."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from panel.core.errors import Gone, Unavailable, ValidationFailed
from panel.video.bbb_api import BbbClient, BbbError, BbbUnreachable
from panel.video.cluster import balancer
from panel.video.models import Room, VideoTenant
from panel.video.names import clean_guest_name

# How long a guest's waiting link stays good: long enough to wait for a late owner.
WAITING_SECONDS = 4 * 3600


class Role(StrEnum):
    MODERATOR = "MODERATOR"
    VIEWER = "VIEWER"


def public_url(room: Room) -> str:
    """The room's page guests open."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/r/{room.slug}"


def tenant_client(tenant: VideoTenant) -> BbbClient:
    """BBB's API as the tenant sees it: BBBLB at the tenant's realm."""
    config = current_app.config
    return BbbClient(
        f"https://{tenant.realm}/bigbluebutton/api/",
        tenant.secret,
        algorithm=config["VIDEO_CHECKSUM"],
        connect_to=balancer().address,
        ca_file=config["VIDEO_CA_FILE"] or None,
    )


def call(room: Room, name: str, params: dict[str, str]) -> Any:
    """One BBB API call for ROOM's tenant; the cluster's errors as the user's."""
    try:
        with tenant_client(room.tenant) as client:
            return client.call(name, params)
    except BbbUnreachable as exc:
        current_app.logger.warning("BBBLB unreachable for room %s: %s", room.id, exc)
        raise Unavailable(_l("The video service cannot be reached; try again shortly.")) from exc
    except BbbError as exc:
        raise Unavailable(
            _l("The video service refused: %(reason)s", reason=str(exc)[:200])
        ) from exc


def _flag(value: bool) -> str:
    return "true" if value else "false"


def create_params(room: Room) -> dict[str, str]:
    params = {
        "meetingID": room.meeting_id,
        "name": room.name,
        "record": _flag(room.record and room.tenant.recording_allowed),
        "muteOnStart": _flag(room.mute_on_start),
        "guestPolicy": "ASK_MODERATOR" if room.waiting_room else "ALWAYS_ACCEPT",
        "meta_panel-room": room.slug,
    }
    if room.max_participants:
        params["maxParticipants"] = str(room.max_participants)
    return params


def is_running(room: Room) -> bool:
    answer = call(room, "isMeetingRunning", {"meetingID": room.meeting_id})
    return answer.data.get("running") == "true"


def ensure_meeting(room: Room) -> None:
    """Create the room's meeting (BBB answers an existing one alike)."""
    call(room, "create", create_params(room))


def join_url(room: Room, full_name: str, role: Role) -> str:
    params = {"meetingID": room.meeting_id, "fullName": full_name, "role": role.value}
    with tenant_client(room.tenant) as client:
        return client.url("join", params)


def start(room: Room, full_name: str) -> str:
    """The owner's (or a sharing member's) start: the meeting created, a moderator's URL."""
    ensure_meeting(room)
    return join_url(room, full_name, Role.MODERATOR)


@dataclass(frozen=True)
class Pass:
    """A guest let in by the room's page: their name and the role their code gave them."""

    name: str
    role: Role


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="room-guest")


def admit(room: Room, name: Any, code: Any) -> Pass:
    """The guest's name checked and their code weighed: the moderator code makes a moderator,
    the viewer code (or none, when the room has none) a viewer; anything else is refused."""
    full_name = clean_guest_name("name", name)
    given = code.strip() if isinstance(code, str) else ""
    if room.moderator_code and given == room.moderator_code:
        return Pass(full_name, Role.MODERATOR)
    if room.viewer_code and given != room.viewer_code:
        raise ValidationFailed.field("code", _l("Wrong access code."))
    if not room.viewer_code and given and given != room.moderator_code:
        raise ValidationFailed.field("code", _l("Wrong access code."))
    role = Role.MODERATOR if room.all_moderators else Role.VIEWER
    return Pass(full_name, role)


def pass_token(room: Room, guest: Pass) -> str:
    return _serializer().dumps({"room": room.id, "name": guest.name, "role": guest.role.value})


def pass_from(room: Room, token: str) -> Pass:
    """The pass in a waiting link, if it is this room's and not expired."""
    try:
        data = _serializer().loads(token, max_age=WAITING_SECONDS)
    except SignatureExpired as exc:
        raise Gone(_l("This link has expired; open the room's link again.")) from exc
    except BadSignature as exc:
        raise ValidationFailed(_l("This link is not valid; open the room's link again.")) from exc
    if not isinstance(data, dict) or data.get("room") != room.id:
        raise ValidationFailed(_l("This link is not valid; open the room's link again."))
    return Pass(str(data.get("name", ""))[:64], Role(data.get("role", Role.VIEWER.value)))


def enter(room: Room, guest: Pass) -> str | None:
    """The guest's join URL once the meeting runs (a moderator, or anyone where the owner allows
    it, starts it); None: wait."""
    if guest.role == Role.MODERATOR or room.anyone_can_start:
        ensure_meeting(room)
        return join_url(room, guest.name, guest.role)
    if is_running(room):
        return join_url(room, guest.name, guest.role)
    return None
