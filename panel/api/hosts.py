"""The host inventory (admin only)."""

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from panel.api.base import ApiBlueprint
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import InputSchema, UtcDateTime, errors
from panel.core.roles import Role
from panel.hosts import operations
from panel.hosts.loaders import load_host
from panel.hosts.models import Host, HostRole

blp = ApiBlueprint("api_hosts", __name__, url_prefix="/api/v1/hosts", description="Hosts (admin)")
ROLES = [role.value for role in HostRole]


class HostSecuritySchema(Schema):
    release = fields.String(metadata={"description": 'e.g. "Debian 13 trixie"'})
    codename = fields.String()
    supported = fields.Boolean(
        allow_none=True,
        metadata={
            "description": "whether the release gets regular security updates (null: unknown)"
        },
    )
    security_until = fields.Date(
        allow_none=True, metadata={"description": "end of its regular security support, if known"}
    )
    pending_updates = fields.Integer(
        allow_none=True, metadata={"description": "security upgrades pending at the last check"}
    )
    current = fields.Boolean(
        allow_none=True,
        metadata={"description": "no security upgrades pending (null: not checked)"},
    )
    checked_at = UtcDateTime(allow_none=True)


class HostSchema(InputSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=63))
    address = fields.String(required=True, validate=validate.Length(min=1, max=253))
    ssh_port = fields.Integer(load_default=22, strict=True, validate=validate.Range(1, 65535))
    role = fields.String(load_default=HostRole.WEBSPACE.value, validate=validate.OneOf(ROLES))
    groups = fields.List(fields.String(validate=validate.Length(max=63)), load_default=list)
    capacity = fields.Integer(load_default=100, strict=True, validate=validate.Range(1, 1_000_000))
    state = fields.String(dump_only=True)
    state_reason = fields.String(dump_only=True)
    fingerprint = fields.String(
        required=True, metadata={"description": "the SHA256:… host key fingerprint you expect"}
    )
    password = fields.String(
        load_only=True,
        validate=validate.Length(max=256),
        metadata={"description": "one-time root password to install the panel's key"},
    )
    facts = fields.Dict(dump_only=True)
    security = fields.Nested(HostSecuritySchema, dump_only=True)
    onboarded_at = UtcDateTime(dump_only=True, allow_none=True)
    last_seen_at = UtcDateTime(dump_only=True, allow_none=True)


class HostUpdateSchema(InputSchema):
    role = fields.String(validate=validate.OneOf(ROLES))
    groups = fields.List(fields.String(validate=validate.Length(max=63)))
    capacity = fields.Integer(strict=True, validate=validate.Range(1, 1_000_000))


@blp.route("", roles=[Role.ADMIN])
@blp.response(200, HostSchema(many=True))
@blp.paginate()
@errors(blp)
def list_hosts(pagination_parameters):
    return page_of(select(Host).order_by(Host.name), pagination_parameters)


@blp.route("", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(HostSchema)
@blp.response(201, HostSchema)
@links(
    blp,
    201,
    [
        "GET /api/v1/hosts/{host_id}",
        "PATCH /api/v1/hosts/{host_id}",
        "POST /api/v1/hosts/{host_id}/retire",
    ],
    {"id": "host_id"},
)
@errors(blp, 409)
def add_host(data):
    return operations.add_host(**data)


@blp.route("/<int:host_id>", roles=[Role.ADMIN])
@blp.response(200, HostSchema)
@errors(blp, 404)
def get_host(host_id):
    return load_host(host_id)


@blp.route("/<int:host_id>", methods=["PATCH"], roles=[Role.ADMIN])
@blp.arguments(HostUpdateSchema)
@blp.response(200, HostSchema)
@errors(blp, 404)
def update_host(data, host_id):
    return operations.update_host(load_host(host_id), data)


@blp.route("/<int:host_id>/retire", methods=["POST"], roles=[Role.ADMIN])
@blp.response(200, HostSchema)
@errors(blp, 404, 409)
def retire_host(host_id):
    return operations.retire_host(load_host(host_id))
