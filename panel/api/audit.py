"""The audit log: all of it for admins, their own entries for everyone else."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from panel.api.pagination import page_of
from panel.api.schemas import errors
from panel.core.audit import SOURCES, audit_query

blp = Blueprint("api_audit", __name__, url_prefix="/api/v1/audit", description="Audit log")


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_label = fields.String()
    source = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    member_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditQuerySchema(Schema):
    action = fields.String(validate=validate.Length(max=64))
    source = fields.String(validate=validate.OneOf(SOURCES))
    object_type = fields.String(validate=validate.Length(max=40))
    actor_id = fields.Integer()
    member_id = fields.Integer()


@blp.route("")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditEntrySchema(many=True))
@blp.paginate()
@errors(blp, 422)
def list_audit(query, pagination_parameters):
    return page_of(audit_query(current_user, query), pagination_parameters)
