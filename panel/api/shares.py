"""The share ledger of a member."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from panel.api.pagination import page_of
from panel.api.schemas import errors
from panel.coop import operations
from panel.coop.models import Member, ShareKind, ShareTransaction
from panel.core.access import require_change, require_role, require_view
from panel.core.roles import Role
from panel.extensions import db

blp = Blueprint("api_shares", __name__, url_prefix="/api/v1", description="Share ledger")


class ShareTransactionSchema(Schema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf([ShareKind.SUBSCRIPTION.value, ShareKind.CANCELLATION.value]),
    )
    count = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=operations.MAX_SHARES_PER_TRANSACTION),
        metadata={"description": "shares subscribed or cancelled; stored signed"},
    )
    value_date = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=500))
    reverses_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class ReversalSchema(Schema):
    value_date = fields.Date()
    note = fields.String(load_default="", validate=validate.Length(max=500))


@blp.route("/members/<int:member_id>/shares")
@blp.response(200, ShareTransactionSchema(many=True))
@blp.paginate()
@errors(blp, 404)
def list_shares(member_id, pagination_parameters):
    member = require_view(db.session.get(Member, member_id))
    stmt = select(ShareTransaction).where(ShareTransaction.member_id == member.id)
    return page_of(stmt.order_by(ShareTransaction.id), pagination_parameters)


@blp.route("/members/<int:member_id>/shares", methods=["POST"])
@blp.arguments(ShareTransactionSchema)
@blp.response(201, ShareTransactionSchema)
@errors(blp, 403, 404, 409, 422)
def add_share_transaction(data, member_id):
    require_role(Role.ADMIN)
    member = require_view(db.session.get(Member, member_id))
    return operations.record_share_transaction(
        member, data["kind"], data["count"], data["value_date"], data["note"]
    )


@blp.route("/shares/<int:transaction_id>/reverse", methods=["POST"])
@blp.arguments(ReversalSchema)
@blp.response(201, ShareTransactionSchema)
@errors(blp, 403, 404, 409, 422)
def reverse_share_transaction(data, transaction_id):
    transaction = require_change(db.session.get(ShareTransaction, transaction_id))
    return operations.reverse_share_transaction(transaction, data.get("value_date"), data["note"])
