"""Invoices (members see their issued ones) and, for the office, billing periods, their cost
pools and runs."""

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from panel.api.base import ApiBlueprint
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import Amount, InputSchema, Percent, UtcDateTime, errors
from panel.billing import operations
from panel.billing.loaders import load_invoice, load_period, load_pool, visible_invoices
from panel.billing.models import (
    BillingPeriod,
    CostPool,
    Invoice,
    InvoiceKind,
    InvoiceState,
    PeriodState,
    PoolKey,
)
from panel.core.roles import Role

blp = ApiBlueprint("api_billing", __name__, url_prefix="/api/v1", description="Billing")
PERIOD_OPERATIONS = (
    "GET /api/v1/billing/periods/{period_id}",
    "POST /api/v1/billing/periods/{period_id}/pools",
    "POST /api/v1/billing/periods/{period_id}/run",
    "POST /api/v1/billing/periods/{period_id}/cancel",
    "POST /api/v1/billing/periods/{period_id}/issue",
    "POST /api/v1/billing/periods/{period_id}/close",
)
ADMIN = [Role.ADMIN]


class LineSchema(Schema):
    position = fields.Integer()
    description = fields.String()
    pool_id = fields.Integer(allow_none=True)
    key = fields.String()
    quantity = fields.Decimal(as_string=True)
    unit = fields.String()
    unit_price = fields.Decimal(as_string=True)
    pool_amount = fields.Decimal(as_string=True, allow_none=True)
    key_total = fields.Decimal(as_string=True, allow_none=True)
    server_id = fields.Integer(
        allow_none=True, metadata={"description": "the managed server the line charges for"}
    )
    exact_net = fields.Decimal(as_string=True)
    net = fields.Decimal(as_string=True)
    vat_percent = fields.Decimal(as_string=True)
    vat = fields.Decimal(as_string=True)


class InvoiceSchema(Schema):
    id = fields.Integer()
    number = fields.String(allow_none=True)
    member_id = fields.Integer()
    period = fields.Function(lambda invoice: invoice.period.month.strftime("%Y-%m"))
    kind = fields.String(metadata={"enum": [kind.value for kind in InvoiceKind]})
    state = fields.String(metadata={"enum": [state.value for state in InvoiceState]})
    corrects_id = fields.Integer(allow_none=True)
    issued_at = UtcDateTime(allow_none=True)
    net = fields.Decimal(as_string=True)
    vat = fields.Decimal(as_string=True)
    gross = fields.Decimal(as_string=True)
    reverse_charge = fields.Boolean()
    collected_at = UtcDateTime(allow_none=True)
    returned_at = UtcDateTime(allow_none=True)
    lines = fields.List(fields.Nested(LineSchema), attribute="line_values")


class PoolSchema(InputSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    amount = Amount(required=True)
    key = fields.String(required=True, validate=validate.OneOf([key.value for key in PoolKey]))


class PeriodSchema(InputSchema):
    id = fields.Integer(dump_only=True)
    month = fields.String(
        required=True, validate=validate.Length(max=7), metadata={"description": "YYYY-MM"}
    )
    state = fields.String(dump_only=True, metadata={"enum": [s.value for s in PeriodState]})
    membership_fee = Amount(load_default="0")
    reserve_percent = Percent(load_default="0")
    vat_percent = Percent(load_default=None)
    pools = fields.List(fields.Nested(PoolSchema), dump_only=True)
    closed_at = UtcDateTime(dump_only=True, allow_none=True)


class RunSchema(Schema):
    drafts = fields.Integer()
    unallocated = fields.List(fields.String(), metadata={"description": "pools without usage"})
    issued = fields.List(fields.String(), metadata={"description": "numbers given"})
    removed = fields.Integer()
    state = fields.String()


def _dump_period(period: BillingPeriod) -> dict:
    return {
        "id": period.id,
        "month": period.month.strftime("%Y-%m"),
        "state": period.state,
        "membership_fee": str(period.membership_fee),
        "reserve_percent": str(period.reserve_percent),
        "vat_percent": str(period.vat_percent),
        "pools": [_dump_pool(pool) for pool in period.pools],
        "closed_at": period.closed_at,
    }


def _dump_pool(pool: CostPool) -> dict:
    return {"id": pool.id, "name": pool.name, "amount": str(pool.amount), "key": pool.key}


@blp.route("/invoices")
@blp.response(200, InvoiceSchema(many=True))
# Invoices come from billing runs, whose answers count them: the list names their ids.
@links(blp, 200, ["GET /api/v1/invoices/{invoice_id}"], {"0/id": "invoice_id"})
@blp.paginate()
@errors(blp)
def list_invoices(pagination_parameters):
    """A member's issued invoices; an admin's view includes every member's and the drafts."""
    return page_of(visible_invoices().order_by(Invoice.id.desc()), pagination_parameters)


@blp.route("/invoices/<int:invoice_id>")
@blp.response(200, InvoiceSchema)
@errors(blp, 404)
def get_invoice(invoice_id):
    return load_invoice(invoice_id)


@blp.route("/billing/periods", roles=ADMIN)
@blp.response(200, PeriodSchema(many=True))
@blp.paginate()
@errors(blp)
def list_periods(pagination_parameters):
    periods = page_of(
        select(BillingPeriod).order_by(BillingPeriod.month.desc()), pagination_parameters
    )
    return [_dump_period(period) for period in periods]


@blp.route("/billing/periods", methods=["POST"], roles=ADMIN)
@blp.arguments(PeriodSchema)
@blp.response(201, PeriodSchema)
@links(blp, 201, PERIOD_OPERATIONS, {"id": "period_id"})
@errors(blp, 409)
def open_period(data):
    period = operations.open_period(
        data["month"], data["membership_fee"], data["reserve_percent"], data["vat_percent"]
    )
    return _dump_period(period)


@blp.route("/billing/periods/<int:period_id>", roles=ADMIN)
@blp.response(200, PeriodSchema)
@errors(blp, 404)
def get_period(period_id):
    return _dump_period(load_period(period_id))


@blp.route("/billing/periods/<int:period_id>/pools", methods=["POST"], roles=ADMIN)
@blp.arguments(PoolSchema)
@blp.response(201, PoolSchema)
@links(blp, 201, ["DELETE /api/v1/billing/pools/{pool_id}"], {"id": "pool_id"})
@errors(blp, 404, 409)
def add_pool(data, period_id):
    return _dump_pool(operations.add_pool(load_period(period_id), **data))


@blp.route("/billing/pools/<int:pool_id>", methods=["DELETE"], roles=ADMIN)
@blp.response(200, PoolSchema)
@errors(blp, 404, 409)
def remove_pool(pool_id):
    pool = load_pool(pool_id)
    dumped = _dump_pool(pool)
    operations.remove_pool(pool)
    return dumped


@blp.route("/billing/periods/<int:period_id>/run", methods=["POST"], roles=ADMIN)
@blp.response(200, RunSchema)
@errors(blp, 404, 409)
def run_period(period_id):
    """Draft invoices for every member with charges; pools without usage are listed."""
    result = operations.run_period(load_period(period_id))
    return {"drafts": len(result.created), "unallocated": [p.name for p in result.unallocated]}


@blp.route("/billing/periods/<int:period_id>/cancel", methods=["POST"], roles=ADMIN)
@blp.response(200, RunSchema)
@errors(blp, 404)
def cancel_drafts(period_id):
    """Remove the period's drafts, and nothing else."""
    return {"removed": operations.cancel_drafts(load_period(period_id))}


@blp.route("/billing/periods/<int:period_id>/issue", methods=["POST"], roles=ADMIN)
@blp.response(200, RunSchema)
@errors(blp, 404)
def issue(period_id):
    """Number and issue the period's drafts."""
    return {"issued": [invoice.number for invoice in operations.issue(load_period(period_id))]}


@blp.route("/billing/periods/<int:period_id>/close", methods=["POST"], roles=ADMIN)
@blp.response(200, RunSchema)
@errors(blp, 404, 409)
def close_period(period_id):
    """Freeze the period's prices."""
    return {"state": operations.close_period(load_period(period_id)).state}
