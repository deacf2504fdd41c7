"""The audit log: all of it for admins, their own entries for everyone else."""

from flask_login import current_user
from marshmallow import Schema, fields, validate

from panel.api.base import ApiBlueprint
from panel.api.pagination import page_of
from panel.api.schemas import Id, Text, UtcDateTime, errors
from panel.core.audit import SOURCES, audit_query

blp = ApiBlueprint("api_audit", __name__, url_prefix="/api/v1/audit", description="Audit log")


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = UtcDateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_label = fields.String()
    source = fields.String(metadata={"enum": list(SOURCES)})
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    member_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditQuerySchema(Schema):
    action = Text(max_length=64)
    source = fields.String(validate=validate.OneOf(SOURCES))
    object_type = Text(max_length=40)
    actor_id = Id()
    member_id = Id()


@blp.route("")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditEntrySchema(many=True))
@blp.paginate()
@errors(blp, 422)
def list_audit(query, pagination_parameters):
    """Audit entries, newest first: all for admins, one's own and one's member's for others."""
    return page_of(audit_query(current_user, query), pagination_parameters)
