"""Video: a member's BBBLB tenant (its own BBB API endpoint; the secret only in the answers that
make it), rooms with their start and recordings, and the admins' BBB servers and tenant limits.
Cluster changes answer 202 with the job that tells BBBLB."""

from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import select

from panel.api.base import ApiBlueprint
from panel.api.jobs import JOB_OPERATIONS
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import Flag, InputSchema, UtcDateTime, errors
from panel.core.access import own_member
from panel.core.roles import MEMBER_ROLES, Role
from panel.extensions import db
from panel.video import meetings, operations, recordings, rooms
from panel.video.loaders import load_bbb_server, load_room, load_tenant, visible_rooms
from panel.video.models import BbbServer, VideoTenant
from panel.video.status import server_status

blp = ApiBlueprint("api_video", __name__, url_prefix="/api/v1", description="Video rooms")
MEMBERS = (*MEMBER_ROLES,)
ROOM_VIEWERS = (*MEMBER_ROLES, Role.ADMIN)
ROOM_OPERATIONS = (
    "GET /api/v1/rooms/{room_id}",
    "PATCH /api/v1/rooms/{room_id}",
    "DELETE /api/v1/rooms/{room_id}",
    "POST /api/v1/rooms/{room_id}/start",
    "GET /api/v1/rooms/{room_id}/recordings",
    "POST /api/v1/rooms/{room_id}/recordings",
)


# A new server's answer leads to its actions and its job.
SERVER_LINKS = links(
    blp,
    202,
    ("POST /api/v1/video/servers/{bbb_server_id}/actions", *JOB_OPERATIONS),
    {"id": "bbb_server_id", "job_id": "job_id"},
)


class TenantSchema(InputSchema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    realm = fields.String(dump_only=True)
    endpoint = fields.Function(
        lambda tenant: f"https://{tenant.realm}/bigbluebutton/api/", dump_only=True
    )
    state = fields.String(dump_only=True)
    state_reason = fields.String(dump_only=True)
    max_participants = fields.Integer(allow_none=True)
    max_duration_minutes = fields.Integer(allow_none=True)
    recording_allowed = Flag()
    job_id = fields.Integer(dump_only=True, allow_none=True, attribute="last_job_id")
    secret_rotated_at = UtcDateTime(dump_only=True, allow_none=True)
    ended_at = UtcDateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "set once the member ended it: BBBLB keeps it, disabled"},
    )


class TenantSecretSchema(TenantSchema):
    secret = fields.String(
        dump_only=True,
        attribute="shown_secret",
        metadata={"description": "shown in this answer only; keep it"},
    )


class TenantLimitsSchema(InputSchema):
    max_participants = fields.Raw(required=True, allow_none=True)
    max_duration_minutes = fields.Raw(required=True, allow_none=True)
    recording_allowed = fields.Raw(required=True)


class RoomSchema(InputSchema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(max=200))
    slug = fields.String(validate=validate.Length(max=100))
    url = fields.Function(lambda room: meetings.public_url(room), dump_only=True)
    viewer_code = fields.String(allow_none=True, validate=validate.Length(max=64))
    moderator_code = fields.String(allow_none=True, validate=validate.Length(max=64))
    record = Flag()
    mute_on_start = Flag()
    waiting_room = Flag()
    anyone_can_start = Flag()
    all_moderators = Flag()
    max_participants = fields.Integer(allow_none=True, strict=True)
    created_at = UtcDateTime(dump_only=True)


class RoomUpdateSchema(RoomSchema):
    name = fields.String(validate=validate.Length(max=200))


class JoinSchema(InputSchema):
    url = fields.String(dump_only=True, metadata={"description": "a moderator's join URL"})


class RecordingSchema(InputSchema):
    record_id = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    published = fields.Boolean(dump_only=True)
    protected = fields.Boolean(dump_only=True)
    state = fields.String(dump_only=True)
    started_at = UtcDateTime(dump_only=True, allow_none=True)
    ended_at = UtcDateTime(dump_only=True, allow_none=True)
    duration_minutes = fields.Integer(dump_only=True, allow_none=True)
    participants = fields.Integer(dump_only=True)
    playback_url = fields.String(dump_only=True, allow_none=True)


class RecordingActionSchema(InputSchema):
    record_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    action = fields.String(
        required=True,
        validate=validate.OneOf(recordings.ACTIONS),
    )


class BbbServerSchema(InputSchema):
    id = fields.Integer(dump_only=True)
    domain = fields.String(required=True, validate=validate.Length(max=300))
    secret = fields.String(required=True, load_only=True, validate=validate.Length(max=200))
    enabled = fields.Boolean(dump_only=True)
    state = fields.String(dump_only=True)
    state_reason = fields.String(dump_only=True)
    job_id = fields.Integer(dump_only=True, allow_none=True, attribute="last_job_id")


class BbbServerStatusSchema(BbbServerSchema):
    reachable = fields.Boolean(dump_only=True, attribute="status.reachable")
    version = fields.String(dump_only=True, attribute="status.version")
    meetings = fields.Integer(dump_only=True, attribute="status.meetings")
    participants = fields.Integer(dump_only=True, attribute="status.participants")
    problem = fields.String(dump_only=True, attribute="status.problem")


class BbbServerActionSchema(InputSchema):
    action = fields.String(
        required=True,
        validate=validate.OneOf(["enable", "cordon", "panic"]),
    )


class VideoJobSchema(InputSchema):
    job_id = fields.Integer(dump_only=True)


@blp.route("/video/tenant", roles=MEMBERS)
@blp.response(200, TenantSchema)
@errors(blp, 403, 404)
def get_tenant():
    """The member's BBB endpoint and realm (never the secret)."""
    return operations.own_tenant(own_member())


@blp.route("/video/tenant", methods=["POST"], roles=MEMBERS)
@blp.response(202, TenantSecretSchema)
@links(
    blp,
    202,
    (
        "PUT /api/v1/video/tenants/{tenant_id}/limits",
        "DELETE /api/v1/video/tenant",
        *JOB_OPERATIONS,
    ),
    {"id": "tenant_id", "job_id": "job_id"},
)
@errors(blp, 403, 409)
def create_tenant():
    """The member's tenant on BBBLB; the answer holds its secret, this once. A tenant the
    member ended is opened again, with a new secret."""
    tenant, secret, _job = operations.create_tenant(own_member())
    tenant.shown_secret = secret
    return tenant


@blp.route("/video/tenant", methods=["DELETE"], roles=MEMBERS)
@blp.response(202, TenantSchema)
@links(blp, 202, ("POST /api/v1/video/tenant", *JOB_OPERATIONS), {"job_id": "job_id"})
@errors(blp, 403, 404, 409)
def end_tenant():
    """The member's video service ends (its rooms must be deleted first): BBBLB disables the
    tenant, so that its endpoint and secret stop working, and keeps its meetings' statistics.
    POST sets it up again."""
    tenant = operations.own_tenant(own_member())
    operations.end_tenant(tenant)
    return tenant


@blp.route("/video/tenant/rotate", methods=["POST"], roles=MEMBERS)
@blp.response(202, TenantSecretSchema)
@errors(blp, 403, 404, 409)
def rotate_tenant():
    """A new secret; the old one stops working once BBBLB has it."""
    tenant = operations.own_tenant(own_member())
    tenant.shown_secret, _job = operations.rotate_secret(tenant)
    return tenant


@blp.route("/video/tenants", roles=[Role.ADMIN])
@blp.response(200, TenantSchema(many=True))
@blp.paginate()
def list_tenants(pagination_parameters):
    return page_of(select(VideoTenant).order_by(VideoTenant.name), pagination_parameters)


@blp.route("/video/tenants/<int:tenant_id>/limits", methods=["PUT"], roles=[Role.ADMIN])
@blp.arguments(TenantLimitsSchema)
@blp.response(202, TenantSchema)
@errors(blp, 404, 409, 422)
def set_limits(data, tenant_id):
    """Participants per meeting, meeting minutes (null: no limit), and whether it may record."""
    tenant = load_tenant(tenant_id)
    operations.set_limits(
        tenant, data["max_participants"], data["max_duration_minutes"], data["recording_allowed"]
    )
    return tenant


@blp.route("/video/servers", roles=[Role.ADMIN])
@blp.response(200, BbbServerStatusSchema(many=True))
def list_bbb_servers():
    """Each BBB server with what it says of itself now (reachable, version, meetings)."""
    servers = db.session.scalars(select(BbbServer).order_by(BbbServer.domain)).all()
    for server in servers:
        server.status = server_status(server)
    return servers


@blp.route("/video/servers", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(BbbServerSchema)
@blp.response(202, BbbServerSchema)
@SERVER_LINKS
@errors(blp, 409, 422)
def add_bbb_server(data):
    return operations.add_server(data["domain"], data["secret"])[0]


class InstallSchema(InputSchema):
    host = fields.String(
        required=True,
        validate=validate.Length(min=1, max=63),
        metadata={"description": "a ready host of the role bbb (Ubuntu 22.04)"},
    )


@blp.route("/video/servers/install", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(InstallSchema)
@blp.response(202, BbbServerSchema)
@SERVER_LINKS
@errors(blp, 404, 409, 422)
def install_bbb_server(data):
    """BigBlueButton on the host (bbb-server.yml) with a secret the panel makes, and BBBLB told."""
    return operations.install_server(data["host"])[0]


@blp.route("/video/servers/<int:bbb_server_id>/actions", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(BbbServerActionSchema)
@blp.response(202, VideoJobSchema)
@links(blp, 202, JOB_OPERATIONS, {"job_id": "job_id"})
@errors(blp, 404, 409, 422)
def bbb_server_action(data, bbb_server_id):
    """enable (new meetings), cordon (no new meetings) or panic (end all its meetings, cordon)."""
    server = load_bbb_server(bbb_server_id)
    if data["action"] == "panic":
        return {"job_id": operations.panic_server(server).id}
    return {"job_id": operations.set_server_enabled(server, data["action"] == "enable").id}


@blp.route("/rooms", roles=ROOM_VIEWERS)
@blp.response(200, RoomSchema(many=True))
@blp.paginate()
def list_rooms(pagination_parameters):
    """The member's rooms and those shared with it (admins: all)."""
    return page_of(visible_rooms(current_user), pagination_parameters)


@blp.route("/rooms", methods=["POST"], roles=ROOM_VIEWERS)
@blp.arguments(RoomSchema)
@blp.response(201, RoomSchema)
@links(blp, 201, ROOM_OPERATIONS, {"id": "room_id"})
@errors(blp, 403, 409, 422)
def create_room(data):
    return rooms.create_room(own_member(), data)


@blp.route("/rooms/<int:room_id>")
@blp.response(200, RoomSchema)
@errors(blp, 404)
def get_room(room_id):
    return load_room(room_id)


@blp.route("/rooms/<int:room_id>", methods=["PATCH"])
@blp.arguments(RoomUpdateSchema)
@blp.response(200, RoomSchema)
@errors(blp, 404, 422)
def update_room(data, room_id):
    return rooms.update_room(load_room(room_id, change=True), data)


@blp.route("/rooms/<int:room_id>", methods=["DELETE"])
@blp.response(204)
@errors(blp, 404)
def delete_room(room_id):
    rooms.delete_room(load_room(room_id, change=True))


@blp.route("/rooms/<int:room_id>/start", methods=["POST"])
@blp.response(200, JoinSchema)
@errors(blp, 404, 503)
def start_room(room_id):
    """The meeting created on the cluster (if it is not running) and a moderator's join URL
    for the caller: the owner, or a member the room is shared with."""
    room = load_room(room_id)
    return {"url": meetings.start(room, current_user.display_name or current_user.email)}


@blp.route("/rooms/<int:room_id>/recordings")
@blp.response(200, RecordingSchema(many=True))
@errors(blp, 404, 503)
def list_recordings(room_id):
    return recordings.recordings(load_room(room_id))


@blp.route("/rooms/<int:room_id>/recordings", methods=["POST"])
@blp.arguments(RecordingActionSchema)
@blp.response(204)
@errors(blp, 404, 422, 503)
def change_recording(data, room_id):
    """publish, unpublish, protect, unprotect or delete one of the room's recordings."""
    recordings.change(load_room(room_id, change=True), data["record_id"], data["action"])
