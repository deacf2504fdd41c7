"""The share ledger of a member: bookings, subscriptions by the member, notices on shares, and
the payouts the office makes when notices take effect."""

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from panel.api.base import ApiBlueprint
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import InputSchema, Text, UtcDateTime, errors
from panel.coop import notices, operations, settlement
from panel.coop.loaders import load_member, load_payout, load_share_notice, load_share_transaction
from panel.coop.models import (
    NoticeState,
    PayoutState,
    ShareKind,
    ShareNotice,
    SharePayout,
    ShareTransaction,
)
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


class ShareNoticeSchema(Schema):
    id = fields.Integer()
    member_id = fields.Integer()
    count = fields.Integer(metadata={"description": "shares under notice"})
    given_on = fields.Date()
    effective_on = fields.Date(
        metadata={
            "description": "the end of the first fiscal year that ends at least "
            "PANEL_SHARE_NOTICE_YEARS after given_on"
        }
    )
    leaving = fields.Boolean(metadata={"description": "a notice of membership"})
    state = fields.String(metadata={"enum": [state.value for state in NoticeState]})
    settled_transaction_id = fields.Integer(allow_none=True)
    payout_id = fields.Method(
        "settled_payout_id",
        metadata={"type": "integer", "nullable": True, "description": "once settled"},
    )
    created_at = UtcDateTime()

    def settled_payout_id(self, notice):
        return settlement.payout_id_of(notice)


class SharePayoutSchema(Schema):
    id = fields.Integer()
    member_id = fields.Integer()
    notice_id = fields.Integer()
    count = fields.Integer()
    amount = fields.Decimal(as_string=True, metadata={"example": "128.00"})
    due_on = fields.Date()
    state = fields.String(metadata={"enum": [state.value for state in PayoutState]})
    paid_on = fields.Date(allow_none=True)


class ShareCountSchema(InputSchema):
    count = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=operations.MAX_SHARES_PER_TRANSACTION),
    )


class PayoutQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf([state.value for state in PayoutState]))


class PaidSchema(InputSchema):
    paid_on = fields.Date(metadata={"description": "default today; not in the future"})


NOTICE_OPERATIONS = (
    "POST /api/v1/share-notices/{notice_id}/withdraw",
    "POST /api/v1/share-payouts/{payout_id}/paid",
)
NOTICE_FIELDS = {"id": "notice_id", "payout_id": "payout_id"}


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


@blp.route("/members/<int:member_id>/shares/subscriptions", methods=["POST"])
@blp.arguments(ShareCountSchema)
@blp.response(201, ShareTransactionSchema)
@errors(blp, 404, 409, 422)
def subscribe_shares(data, member_id):
    """Subscribe more shares: a member for itself, an admin for any member."""
    member = load_member(member_id, change=True)
    return notices.subscribe_shares(member, data["count"])


@blp.route("/members/<int:member_id>/shares/notices")
@blp.response(200, ShareNoticeSchema(many=True))
@blp.paginate()
@errors(blp, 404, 422)
def list_share_notices(member_id, pagination_parameters):
    """The member's notices on shares and of membership, newest first."""
    member = load_member(member_id)
    stmt = select(ShareNotice).where(ShareNotice.member_id == member.id)
    return page_of(stmt.order_by(ShareNotice.id.desc()), pagination_parameters)


@blp.route("/members/<int:member_id>/shares/notices", methods=["POST"])
@blp.arguments(ShareCountSchema)
@blp.response(201, ShareNoticeSchema)
@links(blp, 201, NOTICE_OPERATIONS, NOTICE_FIELDS)
@errors(blp, 404, 409, 422)
def give_share_notice(data, member_id):
    """Give notice on shares (a member for itself, an admin for any). It takes effect at the end
    of the first fiscal year that ends at least PANEL_SHARE_NOTICE_YEARS later; what stays
    must cover PANEL_SHARE_MINIMUM and the shares the member's services need (409 otherwise)."""
    member = load_member(member_id, change=True)
    return notices.give_share_notice(member, data["count"])


@blp.route("/share-notices/<int:notice_id>/withdraw", methods=["POST"])
@blp.response(200, ShareNoticeSchema)
@errors(blp, 404, 409)
def withdraw_share_notice(notice_id):
    """Withdraw a pending notice on shares before the day it takes effect."""
    notice = load_share_notice(notice_id, change=True)
    return notices.withdraw_share_notice(notice)


@blp.route("/share-payouts", roles=[Role.ADMIN])
@blp.arguments(PayoutQuerySchema, location="query")
@blp.response(200, SharePayoutSchema(many=True))
@blp.paginate()
@errors(blp, 422)
def list_payouts(query, pagination_parameters):
    """Payouts of shares booked out by notices (admin), oldest due first."""
    stmt = select(SharePayout).order_by(SharePayout.due_on, SharePayout.id)
    if query.get("state"):
        stmt = stmt.where(SharePayout.state == query["state"])
    return page_of(stmt, pagination_parameters)


@blp.route("/share-payouts/<int:payout_id>/paid", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(PaidSchema, required=False)
@blp.response(200, SharePayoutSchema)
@errors(blp, 404, 409, 422)
def mark_payout_paid(data, payout_id):
    """Mark a payout paid (admin)."""
    payout = load_payout(payout_id, change=True)
    return settlement.mark_payout_paid(payout, data.get("paid_on"))
