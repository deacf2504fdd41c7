"""Webspaces and what is in them: domains, databases, SFTP users. Changes answer 202 with the
resource in its new state and the id of the job that makes it so."""

from flask import url_for
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from panel.api.base import ApiBlueprint
from panel.api.jobs import JOB_OPERATIONS
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import Id, InputSchema, UtcDateTime, errors
from panel.core.access import scope_to_member
from panel.core.errors import ValidationFailed
from panel.core.headers import no_store
from panel.core.roles import Role
from panel.hosts.models import Host
from panel.webspaces import claims, customers, databases, domains, operations, sftp_users
from panel.webspaces.guards import member_for_new_webspace
from panel.webspaces.loaders import load_database, load_domain, load_sftp_user, load_webspace
from panel.webspaces.models import Database, DatabaseEngine, Domain, SftpUser, State, Webspace
from panel.webspaces.names import display_domain

blp = ApiBlueprint(
    "api_webspaces", __name__, url_prefix="/api/v1", description="Webspaces, domains, databases"
)
OWNERS = (Role.ADMIN, Role.RESELLER, Role.MEMBER)
STATES = [state.value for state in State]
WEBSPACE_OPERATIONS = (
    "GET /api/v1/webspaces/{webspace_id}",
    "PATCH /api/v1/webspaces/{webspace_id}",
    "DELETE /api/v1/webspaces/{webspace_id}",
    "PUT /api/v1/webspaces/{webspace_id}/customer",
    "POST /api/v1/webspaces/{webspace_id}/restore",
    "POST /api/v1/webspaces/{webspace_id}/suspend",
    "POST /api/v1/webspaces/{webspace_id}/unsuspend",
    "POST /api/v1/webspaces/{webspace_id}/purge",
    "GET /api/v1/webspaces/{webspace_id}/domains",
    "POST /api/v1/webspaces/{webspace_id}/domains",
    "GET /api/v1/webspaces/{webspace_id}/databases",
    "POST /api/v1/webspaces/{webspace_id}/databases",
    "GET /api/v1/webspaces/{webspace_id}/sftp-users",
    "POST /api/v1/webspaces/{webspace_id}/sftp-users",
)
DOMAIN_OPERATIONS = (
    "GET /api/v1/domains/{domain_id}",
    "PATCH /api/v1/domains/{domain_id}",
    "DELETE /api/v1/domains/{domain_id}",
    "POST /api/v1/domains/{domain_id}/verify",
)
DATABASE_OPERATIONS = (
    "GET /api/v1/databases/{database_id}",
    "DELETE /api/v1/databases/{database_id}",
    "POST /api/v1/databases/{database_id}/restore",
)
# When /webspaces/{webspace_id}/users became /webspaces/{webspace_id}/sftp-users (RFC 9745's
# structured date: seconds since the epoch).
USERS_PATH_DEPRECATED = "@1796428800"
SFTP_USER_OPERATIONS = (
    "GET /api/v1/sftp-users/{user_id}",
    "PATCH /api/v1/sftp-users/{user_id}",
    "DELETE /api/v1/sftp-users/{user_id}",
)


class ResourceSchema(InputSchema):
    id = fields.Integer(dump_only=True)
    state = fields.String(dump_only=True, metadata={"enum": STATES})
    desired = fields.String(dump_only=True)
    state_reason = fields.String(dump_only=True)
    job_id = fields.Integer(dump_only=True, allow_none=True, attribute="last_job_id")
    created_at = UtcDateTime(dump_only=True)


# A webspace as the API shows it names its host: read with it (its name, not its facts).
WITH_HOST = (joinedload(Webspace.host).load_only(Host.name),)


class WebspaceSchema(ResourceSchema):
    name = fields.String(
        validate=validate.Length(max=5), metadata={"description": "e.g. abc00; default: next free"}
    )
    member_id = Id(metadata={"description": "admins: the member it is for"})
    host = fields.Method(
        "host_name",
        deserialize="load_host",
        metadata={"description": "admins: the host to place it on"},
    )
    first_domain = fields.Nested(
        lambda: FirstDomainSchema(),
        load_only=True,
        metadata={
            "description": "served in the same job as the new webspace; a domain that needs"
            " the ownership check waits for it, as an added one does"
        },
    )
    max_domains = fields.Integer(dump_only=True)
    max_databases = fields.Integer(dump_only=True)
    max_users = fields.Integer(dump_only=True)
    quota_mib = fields.Integer(dump_only=True)
    quota_enforced = fields.Boolean(dump_only=True, allow_none=True)
    uid = fields.Integer(dump_only=True, allow_none=True)
    customer_id = fields.Integer(
        dump_only=True,
        allow_none=True,
        attribute="customer_user_id",
        metadata={"description": "the reseller's customer it serves"},
    )
    deleted_at = UtcDateTime(dump_only=True, allow_none=True)
    purge_after = UtcDateTime(dump_only=True, allow_none=True)

    def host_name(self, webspace):
        return webspace.host.name

    def load_host(self, value):
        if not isinstance(value, str) or len(value) > 63:
            raise ValidationFailed.field("host", "A host name.")
        return value


class LimitsSchema(InputSchema):
    """The fields of operations.LIMIT_RANGES, with its ranges."""

    max_domains = fields.Integer(
        strict=True, validate=validate.Range(*operations.LIMIT_RANGES["max_domains"])
    )
    max_databases = fields.Integer(
        strict=True, validate=validate.Range(*operations.LIMIT_RANGES["max_databases"])
    )
    max_users = fields.Integer(
        strict=True, validate=validate.Range(*operations.LIMIT_RANGES["max_users"])
    )
    quota_mib = fields.Integer(
        strict=True, validate=validate.Range(*operations.LIMIT_RANGES["quota_mib"])
    )


class CustomerSchema(InputSchema):
    customer_id = fields.Integer(
        required=True,
        allow_none=True,
        strict=True,
        metadata={"description": "one of the member's customer accounts, or null for none"},
    )


class WebspaceQuerySchema(Schema):
    member_id = Id()
    state = fields.String(validate=validate.OneOf(STATES))


class DomainSchema(ResourceSchema):
    name = fields.String(
        required=True,
        validate=validate.Length(max=300),
        metadata={"description": "Unicode or punycode; stored as the A-label"},
    )
    display_name = fields.Function(lambda domain: display_domain(domain.name), dump_only=True)
    webspace_id = fields.Integer(dump_only=True)
    www_alias = fields.Boolean(load_default=False)
    redirect = fields.String(load_default="", validate=validate.Length(max=2000))
    document_root = fields.String(load_default=None, allow_none=True)
    tls = fields.Boolean(load_default=True)
    state_reason = fields.Function(
        claims.shown_reason,
        dump_only=True,
        metadata={"description": "why it failed, or why the claim was lost"},
    )
    verified_at = UtcDateTime(dump_only=True, allow_none=True)
    verification = fields.Method("verification_record", dump_only=True, allow_none=True)
    tls_not_after = UtcDateTime(dump_only=True, allow_none=True)
    tls_error = fields.String(dump_only=True)
    tls_retry_at = UtcDateTime(dump_only=True, allow_none=True)

    def verification_record(self, domain):
        if domain.state != State.UNVERIFIED:
            return None
        name, value = domains.verification_record(domain)
        return {"type": "TXT", "name": name, "value": value}


class FirstDomainSchema(DomainSchema):
    """A new webspace's first domain (WebspaceSchema.first_domain)."""

    class Meta:
        fields = operations.FIRST_DOMAIN_FIELDS


class DomainUpdateSchema(InputSchema):
    www_alias = fields.Boolean()
    redirect = fields.String(validate=validate.Length(max=2000))
    document_root = fields.String(validate=validate.Length(max=200))
    tls = fields.Boolean()


class DatabaseSchema(ResourceSchema):
    name = fields.String(
        required=True, validate=validate.Length(max=32), metadata={"description": "abc00_shop"}
    )
    engine = fields.String(
        required=True, validate=validate.OneOf([engine.value for engine in DatabaseEngine])
    )
    webspace_id = fields.Integer(dump_only=True)
    purge_after = UtcDateTime(dump_only=True, allow_none=True)


class NewDatabaseSchema(DatabaseSchema):
    password = fields.String(
        dump_only=True, metadata={"description": "shown this once; kept only encrypted"}
    )


class SftpUserSchema(ResourceSchema):
    name = fields.String(
        required=True, validate=validate.Length(max=32), metadata={"description": "abc00-anna"}
    )
    public_keys = fields.List(
        fields.String(validate=validate.Length(max=16000)),
        required=True,
        validate=validate.Length(min=1, max=20),
        attribute="keys",
        metadata={"description": "OpenSSH public key lines"},
    )
    chroot = fields.Boolean(load_default=False, metadata={"description": "SFTP only, jailed"})
    webspace_id = fields.Integer(dump_only=True)


class SftpUserUpdateSchema(InputSchema):
    public_keys = fields.List(
        fields.String(validate=validate.Length(max=16000)), validate=validate.Length(min=1, max=20)
    )
    chroot = fields.Boolean()


# Webspaces.


@blp.route("/webspaces")
@blp.arguments(WebspaceQuerySchema, location="query")
@blp.response(200, WebspaceSchema(many=True))
@blp.paginate()
@errors(blp, 422)
def list_webspaces(query, pagination_parameters):
    """Admins: all; members and resellers: their member's; customers: those serving them
    (read-only)."""
    # Each row names its host: loaded in the page's query, not one query per host.
    stmt = scope_to_member(
        select(Webspace).options(*WITH_HOST).order_by(Webspace.name),
        Webspace.member_id,
        viewed_by=Webspace.served_to,
    )
    for name in ("member_id", "state"):
        if query.get(name) is not None:
            stmt = stmt.where(getattr(Webspace, name) == query[name])
    return page_of(stmt, pagination_parameters)


@blp.route("/webspaces", methods=["POST"], roles=OWNERS)
@blp.arguments(WebspaceSchema)
@blp.response(202, WebspaceSchema)
@links(blp, 202, WEBSPACE_OPERATIONS + JOB_OPERATIONS, {"id": "webspace_id", "job_id": "job_id"})
@errors(blp, 404, 409)
def create_webspace(data):
    member = member_for_new_webspace(current_user, data.get("member_id"), data.get("host"))
    webspace, _ = operations.create_webspace(
        member, data.get("name"), data.get("host"), data.get("first_domain")
    )
    return webspace


@blp.route("/webspaces/<int:webspace_id>")
@blp.response(200, WebspaceSchema)
@errors(blp, 404)
def get_webspace(webspace_id):
    return load_webspace(webspace_id, options=WITH_HOST)


@blp.route("/webspaces/<int:webspace_id>", methods=["PATCH"], roles=[Role.ADMIN])
@blp.arguments(LimitsSchema)
@blp.response(200, WebspaceSchema)
@errors(blp, 404)
def update_limits(data, webspace_id):
    return operations.update_limits(load_webspace(webspace_id), data)


@blp.route("/webspaces/<int:webspace_id>/customer", methods=["PUT"], roles=OWNERS)
@blp.arguments(CustomerSchema)
@blp.response(200, WebspaceSchema)
@errors(blp, 404)
def assign_customer(data, webspace_id):
    """Name the reseller's customer the webspace serves; its usage then counts for them."""
    return customers.assign_customer(load_webspace(webspace_id, change=True), data["customer_id"])


@blp.route("/webspaces/<int:webspace_id>", methods=["DELETE"])
@blp.response(202, WebspaceSchema)
@errors(blp, 404, 409)
def delete_webspace(webspace_id):
    return operations.delete_webspace(load_webspace(webspace_id, change=True))[0]


@blp.route("/webspaces/<int:webspace_id>/restore", methods=["POST"])
@blp.response(202, WebspaceSchema)
@errors(blp, 404, 409)
def restore_webspace(webspace_id):
    return operations.restore_webspace(load_webspace(webspace_id, change=True))[0]


@blp.route("/webspaces/<int:webspace_id>/suspend", methods=["POST"], roles=[Role.ADMIN])
@blp.response(202, WebspaceSchema)
@errors(blp, 404, 409)
def suspend_webspace(webspace_id):
    """The site answers 503 with a page saying so; nothing is deleted."""
    return operations.suspend_webspace(load_webspace(webspace_id))[0]


@blp.route("/webspaces/<int:webspace_id>/unsuspend", methods=["POST"], roles=[Role.ADMIN])
@blp.response(202, WebspaceSchema)
@errors(blp, 404, 409)
def unsuspend_webspace(webspace_id):
    return operations.unsuspend_webspace(load_webspace(webspace_id))[0]


@blp.route("/webspaces/<int:webspace_id>/purge", methods=["POST"], roles=[Role.ADMIN])
@blp.response(202, WebspaceSchema)
@errors(blp, 404, 409)
def purge_webspace(webspace_id):
    """Remove a deleted webspace's archive before its grace period ends."""
    return operations.purge_webspace(load_webspace(webspace_id))[0]


# Domains.


@blp.route("/webspaces/<int:webspace_id>/domains")
@blp.response(200, DomainSchema(many=True))
@blp.paginate()
@errors(blp, 404)
def list_domains(webspace_id, pagination_parameters):
    webspace = load_webspace(webspace_id)
    stmt = select(Domain).where(Domain.webspace_id == webspace.id).order_by(Domain.name)
    return page_of(stmt, pagination_parameters)


@blp.route("/webspaces/<int:webspace_id>/domains", methods=["POST"])
@blp.arguments(DomainSchema)
@blp.response(202, DomainSchema)
@links(blp, 202, DOMAIN_OPERATIONS + JOB_OPERATIONS, {"id": "domain_id", "job_id": "job_id"})
@errors(blp, 404, 409)
def add_domain(data, webspace_id):
    webspace = load_webspace(webspace_id, change=True)
    return domains.add_domain(webspace, data.pop("name"), **data)[0]


@blp.route("/domains/<int:domain_id>")
@blp.response(200, DomainSchema)
@errors(blp, 404)
def get_domain(domain_id):
    return load_domain(domain_id)


@blp.route("/domains/<int:domain_id>", methods=["PATCH"])
@blp.arguments(DomainUpdateSchema)
@blp.response(202, DomainSchema)
@errors(blp, 404, 409)
def update_domain(data, domain_id):
    return domains.update_domain(load_domain(domain_id, change=True), data)[0]


@blp.route("/domains/<int:domain_id>", methods=["DELETE"])
@blp.response(202, DomainSchema)
@errors(blp, 404, 409)
def remove_domain(domain_id):
    return domains.remove_domain(load_domain(domain_id, change=True))[0]


@blp.route("/domains/<int:domain_id>/verify", methods=["POST"])
@blp.response(202, DomainSchema)
@errors(blp, 404, 409)
def verify_domain(domain_id):
    return domains.verify_domain(load_domain(domain_id, change=True))[0]


# Databases.


@blp.route("/webspaces/<int:webspace_id>/databases")
@blp.response(200, DatabaseSchema(many=True))
@blp.paginate()
@errors(blp, 404)
def list_databases(webspace_id, pagination_parameters):
    webspace = load_webspace(webspace_id)
    stmt = select(Database).where(Database.webspace_id == webspace.id).order_by(Database.name)
    return page_of(stmt, pagination_parameters)


@blp.route("/webspaces/<int:webspace_id>/databases", methods=["POST"])
@blp.arguments(DatabaseSchema)
@blp.response(202, NewDatabaseSchema)
@links(blp, 202, DATABASE_OPERATIONS + JOB_OPERATIONS, {"id": "database_id", "job_id": "job_id"})
@errors(blp, 404, 409)
@no_store
def create_database(data, webspace_id):
    webspace = load_webspace(webspace_id, change=True)
    database, _, password = databases.create_database(webspace, data["engine"], data["name"])
    shown = {
        field.attribute or name: getattr(database, field.attribute or name)
        for name, field in DatabaseSchema().dump_fields.items()
    }
    return {**shown, "last_job_id": database.last_job_id, "password": password}


@blp.route("/databases/<int:database_id>")
@blp.response(200, DatabaseSchema)
@errors(blp, 404)
def get_database(database_id):
    return load_database(database_id)


@blp.route("/databases/<int:database_id>", methods=["DELETE"])
@blp.response(202, DatabaseSchema)
@errors(blp, 404, 409)
def delete_database(database_id):
    return databases.delete_database(load_database(database_id, change=True))[0]


@blp.route("/databases/<int:database_id>/restore", methods=["POST"])
@blp.response(202, DatabaseSchema)
@errors(blp, 404, 409)
def restore_database(database_id):
    return databases.restore_database(load_database(database_id, change=True))[0]


# SFTP/SSH users.


def _sftp_users(webspace_id: int, pagination_parameters) -> list:
    webspace = load_webspace(webspace_id)
    stmt = select(SftpUser).where(SftpUser.webspace_id == webspace.id).order_by(SftpUser.name)
    return page_of(stmt, pagination_parameters)


def _create_sftp_user(data: dict, webspace_id: int) -> SftpUser:
    webspace = load_webspace(webspace_id, change=True)
    return sftp_users.create_sftp_user(webspace, data["name"], data["keys"], data["chroot"])[0]


def _successor(webspace_id: int) -> dict[str, str]:
    """The headers of an answer on the old path of a webspace's SFTP users: deprecated since
    the day it was renamed (RFC 9745), and where it lives now (RFC 8288)."""
    path = url_for("api_webspaces.list_sftp_users", webspace_id=webspace_id)
    return {"Deprecation": USERS_PATH_DEPRECATED, "Link": f'<{path}>; rel="successor-version"'}


@blp.route("/webspaces/<int:webspace_id>/sftp-users")
@blp.response(200, SftpUserSchema(many=True))
@blp.paginate()
@errors(blp, 404)
def list_sftp_users(webspace_id, pagination_parameters):
    return _sftp_users(webspace_id, pagination_parameters)


@blp.route("/webspaces/<int:webspace_id>/sftp-users", methods=["POST"])
@blp.arguments(SftpUserSchema)
@blp.response(202, SftpUserSchema)
@links(blp, 202, SFTP_USER_OPERATIONS + JOB_OPERATIONS, {"id": "user_id", "job_id": "job_id"})
@errors(blp, 404, 409)
def create_sftp_user(data, webspace_id):
    return _create_sftp_user(data, webspace_id)


@blp.route("/webspaces/<int:webspace_id>/users")
@blp.doc(deprecated=True)
@blp.response(200, SftpUserSchema(many=True))
@blp.paginate()
@errors(blp, 404)
def list_sftp_users_deprecated(webspace_id, pagination_parameters):
    """The old path of `GET /api/v1/webspaces/{webspace_id}/sftp-users`."""
    return _sftp_users(webspace_id, pagination_parameters), _successor(webspace_id)


@blp.route("/webspaces/<int:webspace_id>/users", methods=["POST"])
@blp.doc(deprecated=True)
@blp.arguments(SftpUserSchema)
@blp.response(202, SftpUserSchema)
@links(blp, 202, SFTP_USER_OPERATIONS + JOB_OPERATIONS, {"id": "user_id", "job_id": "job_id"})
@errors(blp, 404, 409)
def create_sftp_user_deprecated(data, webspace_id):
    """The old path of `POST /api/v1/webspaces/{webspace_id}/sftp-users`."""
    return _create_sftp_user(data, webspace_id), _successor(webspace_id)


@blp.route("/sftp-users/<int:user_id>")
@blp.response(200, SftpUserSchema)
@errors(blp, 404)
def get_sftp_user(user_id):
    return load_sftp_user(user_id)


@blp.route("/sftp-users/<int:user_id>", methods=["PATCH"])
@blp.arguments(SftpUserUpdateSchema)
@blp.response(202, SftpUserSchema)
@errors(blp, 404, 409)
def update_sftp_user(data, user_id):
    return sftp_users.update_sftp_user(load_sftp_user(user_id, change=True), data)[0]


@blp.route("/sftp-users/<int:user_id>", methods=["DELETE"])
@blp.response(202, SftpUserSchema)
@errors(blp, 404, 409)
def remove_sftp_user(user_id):
    return sftp_users.remove_sftp_user(load_sftp_user(user_id, change=True))[0]
