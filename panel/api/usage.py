"""The usage ledger: what each resource used per period, as billing reads it."""

from datetime import UTC

from marshmallow import Schema, fields, validate

from panel.api.pagination import CountedToPageEndBlueprint, page_counted_to_its_end
from panel.api.schemas import Id, UtcDateTime, errors
from panel.metering import usage
from panel.metering.meters import METERS
from panel.metering.models import Quality, UsageRecord
from panel.servers.loaders import load_server
from panel.video.loaders import load_tenant
from panel.webspaces.loaders import load_webspace

# The ledger grows by a row per resource and metric every hour: it is not counted for each page.
blp = CountedToPageEndBlueprint(
    "api_usage", __name__, url_prefix="/api/v1/usage", description="Usage ledger"
)


class UsageQuerySchema(Schema):
    webspace = Id(metadata={"description": "only this webspace's rows"})
    server = Id(metadata={"description": "only this managed server's rows"})
    video_tenant = Id(metadata={"description": "only this video tenant's rows (participant time)"})
    customer = Id(
        metadata={"description": "only the rows of webspaces serving this customer and its servers"}
    )
    metric = fields.String(validate=validate.OneOf(list(METERS)))
    from_ = UtcDateTime(data_key="from", metadata={"description": "periods starting from"})
    to = UtcDateTime(metadata={"description": "periods starting before"})


class UsageRecordSchema(Schema):
    id = fields.Integer()
    member_id = fields.Integer()
    webspace_id = fields.Integer(allow_none=True)
    server_id = fields.Integer(allow_none=True)
    video_tenant_id = fields.Integer(allow_none=True)
    resource_type = fields.String()
    resource_id = fields.Integer()
    resource_name = fields.String()
    metric = fields.String(metadata={"enum": list(METERS)})
    unit = fields.String(
        metadata={
            "description": "B, requests, s (CPU, server and video participant time), or B·h for "
            "gauges"
        }
    )
    period_start = UtcDateTime()
    period_end = UtcDateTime()
    raw_start = fields.Decimal(as_string=True)
    raw_end = fields.Decimal(as_string=True)
    quantity = fields.Decimal(as_string=True)
    quality = fields.String(metadata={"enum": [quality.value for quality in Quality]})
    samples = fields.Integer()
    covered_seconds = fields.Integer()
    collected_at = UtcDateTime()


def _utc(moment):
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@blp.route("")
@blp.arguments(UsageQuerySchema, location="query")
@blp.response(200, UsageRecordSchema(many=True))
@blp.paginate()
@errors(blp, 404)
def list_usage(query, pagination_parameters):
    """Ledger rows the caller may see: a member (a reseller too) its own, a customer those of
    the webspaces serving it and of its servers, an admin everyone's. The list is not counted
    to its end: X-Pagination's total goes up to the row after the page, and `more` says
    whether rows follow beyond it."""
    webspace_id, server_id = query.get("webspace"), query.get("server")
    if webspace_id is not None:
        load_webspace(webspace_id)
    if server_id is not None:
        load_server(server_id)
    video_tenant_id = query.get("video_tenant")
    if video_tenant_id is not None:
        load_tenant(video_tenant_id)
    start, end = usage.clean_span(_utc(query.get("from_")), _utc(query.get("to")))
    stmt = usage.records(
        webspace_id=webspace_id,
        server_id=server_id,
        video_tenant_id=video_tenant_id,
        customer_id=query.get("customer"),
        metric=query.get("metric"),
        start=start,
        end=end,
    )
    # Rows of one period may share metric and name (a webspace and a database, a name used
    # again): the id orders them, so that pages neither repeat nor skip a row.
    return page_counted_to_its_end(stmt.order_by(UsageRecord.id), pagination_parameters)
