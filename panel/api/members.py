"""Members of the cooperative: the register (admin), one's own record, and all of a member's
data as one archive."""

from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from panel.api.base import ApiBlueprint
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import Email, Flag, InputSchema, Text, errors
from panel.api.shares import NOTICE_FIELDS, NOTICE_OPERATIONS, ShareNoticeSchema
from panel.coop import notices, operations
from panel.coop.loaders import load_member
from panel.coop.models import Member, MemberKind, MemberStatus
from panel.core.access import scope_to_member
from panel.core.headers import no_store
from panel.core.roles import Role
from panel.export import operations as export
from panel.export.views import download, export_limited

blp = ApiBlueprint("api_members", __name__, url_prefix="/api/v1/members", description="Members")
MEMBER_OPERATIONS = (
    "GET /api/v1/members/{member_id}",
    "PATCH /api/v1/members/{member_id}",
    "POST /api/v1/members/{member_id}/admit",
    "POST /api/v1/members/{member_id}/cancel",
    "POST /api/v1/members/{member_id}/end",
    "GET /api/v1/members/{member_id}/shares",
    "POST /api/v1/members/{member_id}/shares",
    "POST /api/v1/members/{member_id}/shares/subscriptions",
    "GET /api/v1/members/{member_id}/shares/notices",
    "POST /api/v1/members/{member_id}/shares/notices",
    "POST /api/v1/members/{member_id}/notice",
    "GET /api/v1/members/{member_id}/export",
)


class MemberSchema(Schema):
    id = fields.Integer()
    number = fields.String(metadata={"example": "M-00042"})
    prefix = fields.String()
    kind = fields.String(metadata={"enum": [kind.value for kind in MemberKind]})
    name = fields.String()
    email = fields.String()
    phone = fields.String()
    street = fields.String()
    postal_code = fields.String()
    city = fields.String()
    country = fields.String()
    vat_id = fields.String()
    status = fields.String(metadata={"enum": [status.value for status in MemberStatus]})
    applied_on = fields.Date()
    admitted_on = fields.Date(allow_none=True)
    cancelled_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    share_count = fields.Integer()
    user_id = fields.Method(
        "first_user_id",
        metadata={"type": "integer", "nullable": True, "description": "The member's first login."},
    )

    def first_user_id(self, member):
        return min((user.id for user in member.users), default=None)


class ContactSchema(InputSchema):
    phone = Text(max_length=40)
    street = Text(max_length=200)
    postal_code = Text(max_length=16)
    city = Text(max_length=100)
    country = fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$", error="A two-letter country code such as DE.")
    )
    vat_id = Text(max_length=20)


class MemberCreateSchema(ContactSchema):
    name = Text(required=True, min_length=1, max_length=200)
    email = Email(required=True)
    prefix = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z]{3}$", error="Exactly three lowercase letters a-z."),
        metadata={"description": "Starts the names of the member's webspaces; never changes."},
    )
    kind = fields.String(
        load_default=MemberKind.NATURAL.value,
        validate=validate.OneOf([kind.value for kind in MemberKind]),
    )
    admit = Flag(load_default=True, metadata={"description": "false keeps the member an applicant"})


class MemberUpdateSchema(ContactSchema):
    name = Text(min_length=1, max_length=200)
    email = Email()


class StatusChangeSchema(InputSchema):
    on = fields.Date(metadata={"description": "the day it takes effect; default today"})


class MemberQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([status.value for status in MemberStatus]))


@blp.route("")
@blp.arguments(MemberQuerySchema, location="query")
@blp.response(200, MemberSchema(many=True))
@blp.paginate()
@errors(blp, 422)
def list_members(query, pagination_parameters):
    """All members for admins; one's own member record for members and resellers."""
    stmt = scope_to_member(
        select(Member).options(selectinload(Member.users)).order_by(Member.id), Member.id
    )
    if query.get("status"):
        stmt = stmt.where(Member.status == query["status"])
    return page_of(stmt, pagination_parameters)


@blp.route("", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(MemberCreateSchema)
@blp.response(201, MemberSchema)
@links(blp, 201, MEMBER_OPERATIONS, {"id": "member_id"})
@errors(blp, 409, 422)
def create_member(data):
    """Admit a new member (admin): the member record and its first login."""
    return operations.create_member(**data)


@blp.route("/<int:member_id>")
@blp.response(200, MemberSchema)
@errors(blp, 404)
def get_member(member_id):
    """One member record."""
    return load_member(member_id)


@blp.route("/<int:member_id>", methods=["PATCH"])
@blp.arguments(MemberUpdateSchema)
@blp.response(200, MemberSchema)
@errors(blp, 404, 422)
def update_member(data, member_id):
    """Change the contact data of a member (admins) or of one's own record."""
    member = load_member(member_id)
    return operations.update_member(member, data)


@blp.route("/<int:member_id>/admit", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(StatusChangeSchema, required=False)
@blp.response(200, MemberSchema)
@errors(blp, 404, 409, 422)
def admit(data, member_id):
    """Admit an applicant (admin)."""
    member = load_member(member_id)
    return operations.admit_member(member, data.get("on"))


@blp.route("/<int:member_id>/cancel", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(StatusChangeSchema, required=False)
@blp.response(200, MemberSchema)
@errors(blp, 404, 409, 422)
def cancel(data, member_id):
    """Record the cancellation of an active membership (admin)."""
    member = load_member(member_id)
    return operations.cancel_membership(member, data.get("on"))


@blp.route("/<int:member_id>/end", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(StatusChangeSchema, required=False)
@blp.response(200, MemberSchema)
@errors(blp, 404, 409, 422)
def end(data, member_id):
    """End a cancelled membership or an application (admin); shares must be paid out first."""
    member = load_member(member_id)
    return operations.end_membership(member, data.get("on"))


@blp.route("/<int:member_id>/notice", methods=["POST"])
@blp.response(201, ShareNoticeSchema)
@links(blp, 201, NOTICE_OPERATIONS, NOTICE_FIELDS)
@errors(blp, 404, 409, 422)
def give_notice(member_id):
    """Give notice of membership (a member for itself, an admin for any): refused (409, naming
    them) while services run. The member is `cancelled` from today; at the notice's effective
    date every share is booked out, a payout recorded and the membership ended."""
    member = load_member(member_id, change=True)
    return notices.give_membership_notice(member)


@blp.route("/<int:member_id>/export")
@blp.response(
    200,
    {"type": "string", "format": "binary"},
    content_type="application/zip",
    description="A ZIP archive: a folder per part (account, membership, webspaces, servers, "
    "video, usage, billing, ...) of JSON files and invoice PDFs, and manifest.json listing "
    "every file with its size and SHA-256.",
)
@errors(blp, 404, 429)
@export_limited
@no_store
def export_member(member_id):
    """All data the panel keeps about a member (admins: any member; a member's logins: their
    own), without passwords, tokens or other secrets."""
    return download(*export.export_member(load_member(member_id)))
