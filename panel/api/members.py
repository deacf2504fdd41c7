"""Members of the cooperative: the register (admin) and one's own record."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from panel.api.pagination import page_of
from panel.api.schemas import errors
from panel.coop import operations
from panel.coop.models import Member, MemberKind, MemberStatus
from panel.core.access import require_role, require_view, scope_to_member
from panel.core.roles import Role
from panel.extensions import db

blp = Blueprint("api_members", __name__, url_prefix="/api/v1/members", description="Members")


class ContactSchema(Schema):
    phone = fields.String(validate=validate.Length(max=40))
    street = fields.String(validate=validate.Length(max=200))
    postal_code = fields.String(validate=validate.Length(max=16))
    city = fields.String(validate=validate.Length(max=100))
    country = fields.String(validate=validate.Length(equal=2))


class MemberSchema(Schema):
    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    prefix = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    email = fields.String(dump_only=True)
    phone = fields.String(dump_only=True)
    street = fields.String(dump_only=True)
    postal_code = fields.String(dump_only=True)
    city = fields.String(dump_only=True)
    country = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    applied_on = fields.Date(dump_only=True)
    admitted_on = fields.Date(dump_only=True, allow_none=True)
    cancelled_on = fields.Date(dump_only=True, allow_none=True)
    ended_on = fields.Date(dump_only=True, allow_none=True)
    share_count = fields.Integer(dump_only=True)
    user_id = fields.Method("first_user_id", dump_only=True, allow_none=True)

    def first_user_id(self, member):
        return member.users[0].id if member.users else None


class MemberCreateSchema(ContactSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    prefix = fields.String(required=True, validate=validate.Length(equal=3))
    kind = fields.String(
        load_default=MemberKind.NATURAL.value,
        validate=validate.OneOf([kind.value for kind in MemberKind]),
    )
    admit = fields.Boolean(
        load_default=True, metadata={"description": "false keeps the member an applicant"}
    )


class MemberUpdateSchema(ContactSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.String(validate=validate.Length(min=3, max=254))


class StatusChangeSchema(Schema):
    on = fields.Date(metadata={"description": "the day it takes effect; default today"})


class MemberQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([status.value for status in MemberStatus]))


@blp.route("")
@blp.arguments(MemberQuerySchema, location="query")
@blp.response(200, MemberSchema(many=True))
@blp.paginate()
@errors(blp, 422)
def list_members(query, pagination_parameters):
    stmt = scope_to_member(select(Member).order_by(Member.id), Member.id)
    if query.get("status"):
        stmt = stmt.where(Member.status == query["status"])
    return page_of(stmt, pagination_parameters)


@blp.route("", methods=["POST"])
@blp.arguments(MemberCreateSchema)
@blp.response(201, MemberSchema)
@errors(blp, 403, 409, 422)
def create_member(data):
    require_role(Role.ADMIN)
    return operations.create_member(**data)


@blp.route("/<int:member_id>")
@blp.response(200, MemberSchema)
@errors(blp, 404)
def get_member(member_id):
    return require_view(db.session.get(Member, member_id))


@blp.route("/<int:member_id>", methods=["PATCH"])
@blp.arguments(MemberUpdateSchema)
@blp.response(200, MemberSchema)
@errors(blp, 404, 422)
def update_member(data, member_id):
    member = require_view(db.session.get(Member, member_id))
    return operations.update_member(member, data)


def _status_route(name: str, change):
    @blp.route(f"/<int:member_id>/{name}", methods=["POST"], endpoint=name)
    @blp.arguments(StatusChangeSchema)
    @blp.response(200, MemberSchema)
    @errors(blp, 403, 404, 409, 422)
    def view(data, member_id):
        require_role(Role.ADMIN)
        member = require_view(db.session.get(Member, member_id))
        return change(member, data.get("on"))

    view.__doc__ = f"{name.capitalize()} the membership (admin)."
    return view


for _name, _change in (
    ("admit", operations.admit_member),
    ("cancel", operations.cancel_membership),
    ("end", operations.end_membership),
):
    _status_route(_name, _change)
