"""The share ledger of a member."""

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from panel.api.base import ApiBlueprint
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import InputSchema, Text, UtcDateTime, errors
from panel.coop import operations
from panel.coop.loaders import load_member, load_share_transaction
from panel.coop.models import ShareKind, ShareTransaction
from panel.core.roles import Role

blp = ApiBlueprint("api_shares", __name__, url_prefix="/api/v1", description="Share ledger")


class ShareTransactionSchema(Schema):
    id = fields.Integer()
    member_id = fields.Integer()
    kind = fields.String(metadata={"enum": [kind.value for kind in ShareKind]})
    count = fields.Integer(metadata={"description": "signed: negative for cancellations"})
    value_date = fields.Date()
    note = fields.String()
    reverses_id = fields.Integer(allow_none=True)
    created_at = UtcDateTime()


class ShareBookingSchema(InputSchema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf([ShareKind.SUBSCRIPTION.value, ShareKind.CANCELLATION.value]),
    )
    count = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=operations.MAX_SHARES_PER_TRANSACTION),
        metadata={"description": "shares subscribed or cancelled, a positive number either way"},
    )
    value_date = fields.Date(required=True)
    note = Text(load_default="", max_length=500, multiline=True)


class ReversalSchema(InputSchema):
    value_date = fields.Date(metadata={"description": "default today"})
    note = Text(load_default="", max_length=500, multiline=True)


@blp.route("/members/<int:member_id>/shares")
@blp.response(200, ShareTransactionSchema(many=True))
@blp.paginate()
@errors(blp, 404, 422)
def list_shares(member_id, pagination_parameters):
    """The ledger of a member, oldest booking first."""
    member = load_member(member_id)
    stmt = select(ShareTransaction).where(ShareTransaction.member_id == member.id)
    return page_of(stmt.order_by(ShareTransaction.id), pagination_parameters)


@blp.route("/members/<int:member_id>/shares", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(ShareBookingSchema)
@blp.response(201, ShareTransactionSchema)
@links(blp, 201, ["POST /api/v1/shares/{transaction_id}/reverse"], {"id": "transaction_id"})
@errors(blp, 404, 409, 422)
def add_share_transaction(data, member_id):
    """Book a subscription or cancellation of shares (admin)."""
    member = load_member(member_id)
    return operations.record_share_transaction(
        member, data["kind"], data["count"], data["value_date"], data["note"]
    )


@blp.route("/shares/<int:transaction_id>/reverse", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(ReversalSchema, required=False)
@blp.response(201, ShareTransactionSchema)
@errors(blp, 404, 409, 422)
def reverse_share_transaction(data, transaction_id):
    """Undo a booking by a counter-booking (admin); the ledger itself never changes."""
    transaction = load_share_transaction(transaction_id, change=True)
    return operations.reverse_share_transaction(transaction, data.get("value_date"), data["note"])
