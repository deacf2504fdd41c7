"""Managed servers: a reseller requests one for a customer (an admin approves it unless hosts
are allocated at once), manages its users and keys, firewall and actions, and releases it.
Changes answer 202 with the id of the job that makes them so."""

from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from panel.api.base import ApiBlueprint
from panel.api.jobs import JOB_OPERATIONS
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import Flag, Id, InputSchema, UtcDateTime, errors
from panel.core.roles import Role
from panel.servers import firewall, maintenance, operations, users
from panel.servers.loaders import (
    load_server,
    load_server_key,
    load_server_port,
    load_server_user,
    visible_servers,
)
from panel.servers.models import Server, ServerPort, ServerState, ServerUser
from panel.servers.sizes import sizes

blp = ApiBlueprint("api_servers", __name__, url_prefix="/api/v1", description="Managed servers")
VIEWERS = (Role.ADMIN, Role.RESELLER, Role.CUSTOMER)
# Sizes, firewall, actions and release are the reseller's; a customer manages users and keys.
MANAGERS = (Role.ADMIN, Role.RESELLER)
STATES = [state.value for state in ServerState]
SERVER_OPERATIONS = (
    "GET /api/v1/servers/{server_id}",
    "DELETE /api/v1/servers/{server_id}",
    "POST /api/v1/servers/{server_id}/approve",
    "POST /api/v1/servers/{server_id}/actions",
    "GET /api/v1/servers/{server_id}/drift",
    "GET /api/v1/servers/{server_id}/users",
    "POST /api/v1/servers/{server_id}/users",
    "GET /api/v1/servers/{server_id}/firewall",
    "POST /api/v1/servers/{server_id}/firewall",
)
SERVER_USER_OPERATIONS = (
    "GET /api/v1/server-users/{server_user_id}",
    "DELETE /api/v1/server-users/{server_user_id}",
    "POST /api/v1/server-users/{server_user_id}/keys",
)


def _job_id(part) -> int | None:
    """The job that brings a change of the part to the host: its server's latest."""
    return part.owning_server.last_job_id


class ServerSchema(InputSchema):
    id = fields.Integer(dump_only=True)
    customer_id = Id(required=True, metadata={"description": "one of the reseller's customers"})
    size = fields.String(
        required=True,
        validate=validate.Length(max=32),
        metadata={"description": "one of GET /api/v1/server-sizes"},
    )
    stacks = fields.List(
        fields.String(validate=validate.Length(max=16)),
        load_default=list,
        validate=validate.Length(max=3),
        metadata={"description": "web, mariadb, postgresql"},
    )
    hostname = fields.String(dump_only=True, metadata={"description": "e.g. srv7"})
    host = fields.Function(
        lambda server: server.host.name if server.host else None,
        dump_only=True,
        allow_none=True,
        metadata={"description": "the pool host, once allocated"},
    )
    address = fields.Function(
        lambda server: server.host.address if server.host else None,
        dump_only=True,
        allow_none=True,
    )
    state = fields.String(dump_only=True, metadata={"enum": STATES})
    desired = fields.String(dump_only=True)
    state_reason = fields.String(dump_only=True)
    job_id = fields.Integer(dump_only=True, allow_none=True, attribute="last_job_id")
    member_id = fields.Integer(dump_only=True)
    reseller_id = fields.Integer(dump_only=True)
    allocated_at = UtcDateTime(dump_only=True, allow_none=True)
    released_at = UtcDateTime(dump_only=True, allow_none=True)
    release_mode = fields.String(dump_only=True, allow_none=True)
    archive_file = fields.String(dump_only=True, allow_none=True)
    archive_purge_after = UtcDateTime(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)


class ServerQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(STATES))


class ReleaseSchema(InputSchema):
    mode = fields.String(
        required=True,
        validate=validate.Length(max=16),
        metadata={"description": "archive (kept for PANEL_SERVER_ARCHIVE_DAYS) or wipe"},
    )


class ActionSchema(InputSchema):
    action = fields.String(
        required=True,
        validate=validate.Length(max=16),
        metadata={"enum": list(maintenance.SERVER_ACTIONS)},
    )
    service = fields.String(
        validate=validate.Length(max=16),
        metadata={"description": "restart: nginx, php-fpm, mariadb, postgresql or ssh"},
    )


class JobIdSchema(Schema):
    job_id = fields.Integer(required=True)


class ServerKeySchema(InputSchema):
    id = fields.Integer(dump_only=True)
    server_user_id = fields.Integer(dump_only=True)
    public_key = fields.String(
        required=True,
        validate=validate.Length(max=16000),
        metadata={"description": "an OpenSSH public key line"},
    )
    fingerprint = fields.String(dump_only=True)
    comment = fields.String(dump_only=True)
    job_id = fields.Function(_job_id, dump_only=True, allow_none=True)


class ServerUserSchema(InputSchema):
    id = fields.Integer(dump_only=True)
    server_id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(max=32))
    sudo = Flag(load_default=False, metadata={"description": "if the server's size allows it"})
    keys = fields.Method(
        "dump_keys",
        deserialize="load_keys",
        load_default=list,
        metadata={
            "description": "OpenSSH public key lines; answered as objects with their fingerprints"
        },
    )
    job_id = fields.Function(_job_id, dump_only=True, allow_none=True)

    def dump_keys(self, user):
        return ServerKeySchema(many=True).dump(user.keys)

    def load_keys(self, value):
        return value


class ServerPortSchema(InputSchema):
    id = fields.Integer(dump_only=True)
    server_id = fields.Integer(dump_only=True)
    port = fields.Integer(required=True, strict=True)
    proto = fields.String(
        load_default="tcp", validate=validate.Length(max=16), metadata={"enum": ["tcp", "udp"]}
    )
    job_id = fields.Function(_job_id, dump_only=True, allow_none=True)


class DriftChangeSchema(Schema):
    host = fields.String(allow_none=True)
    task = fields.String(allow_none=True)
    stdout = fields.String(metadata={"description": "the task's output with its diff"})


class DriftSchema(Schema):
    job_id = fields.Integer(allow_none=True)
    status = fields.String(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    changes = fields.List(fields.Nested(DriftChangeSchema))


class SizeSchema(Schema):
    name = fields.String()
    cpus = fields.Integer()
    memory_mib = fields.Integer()
    disk_gib = fields.Integer()
    sudo = fields.Boolean()
    ports = fields.Function(
        lambda size: [str(low) if low == high else f"{low}-{high}" for low, high in size.ports],
        metadata={"description": "ports and ranges its firewall may open"},
    )


@blp.route("/server-sizes", roles=VIEWERS)
@blp.response(200, SizeSchema(many=True))
def list_sizes():
    return list(sizes().values())


@blp.route("/servers", roles=VIEWERS)
@blp.arguments(ServerQuerySchema, location="query")
@blp.response(200, ServerSchema(many=True))
@blp.paginate()
@errors(blp, 422)
def list_servers(query, pagination_parameters):
    stmt = visible_servers()
    if query.get("state") is not None:
        stmt = stmt.where(Server.state == query["state"])
    return page_of(stmt, pagination_parameters)


@blp.route("/servers", methods=["POST"], roles=MANAGERS)
@blp.arguments(ServerSchema)
@blp.response(202, ServerSchema)
@links(blp, 202, SERVER_OPERATIONS + JOB_OPERATIONS, {"id": "server_id", "job_id": "job_id"})
@errors(blp, 409)
def request_server(data):
    """Allocated at once (PANEL_SERVER_ALLOCATION=auto: state pending with its job), or
    requested until an admin approves it (state requested, no job yet)."""
    server, _ = operations.request_server(
        current_user, data["customer_id"], data["size"], data["stacks"]
    )
    return server


@blp.route("/servers/<int:server_id>")
@blp.response(200, ServerSchema)
@errors(blp, 404)
def get_server(server_id):
    return load_server(server_id)


@blp.route("/servers/<int:server_id>", methods=["DELETE"], roles=MANAGERS)
@blp.arguments(ReleaseSchema)
@blp.response(202, ServerSchema)
@errors(blp, 404, 409)
def release_server(data, server_id):
    """Give the host back to the pool, with the data archived or wiped."""
    return operations.release_server(load_server(server_id, change=True), data["mode"])[0]


@blp.route("/servers/<int:server_id>/approve", methods=["POST"], roles=[Role.ADMIN])
@blp.response(202, ServerSchema)
@errors(blp, 404, 409)
def approve_server(server_id):
    return operations.approve_server(load_server(server_id))[0]


@blp.route("/servers/<int:server_id>/actions", methods=["POST"], roles=MANAGERS)
@blp.arguments(ActionSchema)
@blp.response(202, JobIdSchema)
@links(blp, 202, JOB_OPERATIONS, {"job_id": "job_id"})
@errors(blp, 404, 409)
def run_action(data, server_id):
    """reboot, upgrade (Debian's updates), restart (a service) or drift (server.yml in check
    mode: GET /api/v1/servers/{server_id}/drift shows what it found)."""
    server = load_server(server_id, change=True)
    return {"job_id": maintenance.run_action(server, data["action"], data.get("service")).id}


@blp.route("/servers/<int:server_id>/drift")
@blp.response(200, DriftSchema)
@errors(blp, 404)
def get_drift(server_id):
    """The last drift check: the tasks that would change the server, with their diffs."""
    drift = maintenance.drift_report(load_server(server_id))
    if drift is None:
        return {"job_id": None, "status": None, "finished_at": None, "changes": []}
    job = drift.job
    return {
        "job_id": job.id,
        "status": job.status,
        "finished_at": job.finished_at,
        "changes": drift.changes,
    }


@blp.route("/servers/<int:server_id>/users")
@blp.response(200, ServerUserSchema(many=True))
@blp.paginate()
@errors(blp, 404)
def list_users(server_id, pagination_parameters):
    server = load_server(server_id)
    stmt = select(ServerUser).where(ServerUser.server_id == server.id).order_by(ServerUser.name)
    return page_of(stmt, pagination_parameters)


@blp.route("/servers/<int:server_id>/users", methods=["POST"])
@blp.arguments(ServerUserSchema)
@blp.response(202, ServerUserSchema)
@links(
    blp,
    202,
    SERVER_USER_OPERATIONS + JOB_OPERATIONS,
    {"id": "server_user_id", "job_id": "job_id"},
)
@errors(blp, 404, 409)
def add_user(data, server_id):
    server = load_server(server_id, change=True)
    return users.add_user(server, data["name"], data["sudo"], data["keys"])[0]


@blp.route("/server-users/<int:server_user_id>")
@blp.response(200, ServerUserSchema)
@errors(blp, 404)
def get_user(server_user_id):
    return load_server_user(server_user_id)


@blp.route("/server-users/<int:server_user_id>", methods=["DELETE"])
@blp.response(202, JobIdSchema)
@errors(blp, 404, 409)
def remove_user(server_user_id):
    """The user and its home leave the server."""
    return {"job_id": users.remove_user(load_server_user(server_user_id, change=True)).id}


@blp.route("/server-users/<int:server_user_id>/keys", methods=["POST"])
@blp.arguments(ServerKeySchema)
@blp.response(202, ServerKeySchema)
@links(
    blp,
    202,
    ("DELETE /api/v1/server-keys/{key_id}", *JOB_OPERATIONS),
    {"id": "key_id", "job_id": "job_id"},
)
@errors(blp, 404, 409)
def add_key(data, server_user_id):
    user = load_server_user(server_user_id, change=True)
    return users.add_key(user, data["public_key"])[0]


@blp.route("/server-keys/<int:key_id>", methods=["DELETE"])
@blp.response(202, JobIdSchema)
@errors(blp, 404, 409)
def remove_key(key_id):
    return {"job_id": users.remove_key(load_server_key(key_id, change=True)).id}


@blp.route("/servers/<int:server_id>/firewall")
@blp.response(200, ServerPortSchema(many=True))
@blp.paginate()
@errors(blp, 404)
def list_ports(server_id, pagination_parameters):
    """The ports open besides SSH (and HTTP and HTTPS with the web stack)."""
    server = load_server(server_id)
    stmt = (
        select(ServerPort)
        .where(ServerPort.server_id == server.id)
        .order_by(ServerPort.port, ServerPort.proto)
    )
    return page_of(stmt, pagination_parameters)


@blp.route("/servers/<int:server_id>/firewall", methods=["POST"], roles=MANAGERS)
@blp.arguments(ServerPortSchema)
@blp.response(202, ServerPortSchema)
@links(
    blp,
    202,
    ("DELETE /api/v1/server-ports/{port_id}", *JOB_OPERATIONS),
    {"id": "port_id", "job_id": "job_id"},
)
@errors(blp, 404, 409)
def open_port(data, server_id):
    """Open a port that the server's size allows (GET /api/v1/server-sizes)."""
    server = load_server(server_id, change=True)
    return firewall.open_port(server, data["port"], data["proto"])[0]


@blp.route("/server-ports/<int:port_id>", methods=["DELETE"], roles=MANAGERS)
@blp.response(202, JobIdSchema)
@errors(blp, 404, 409)
def close_port(port_id):
    return {"job_id": firewall.close_port(load_server_port(port_id, change=True)).id}
