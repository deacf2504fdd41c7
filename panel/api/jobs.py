"""Jobs: maintenance playbooks (admin), status and events, cancel and retry."""

from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from panel.api.base import ApiBlueprint
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import Id, InputSchema, Text, UtcDateTime, errors
from panel.core.errors import MAX_ID
from panel.core.roles import Role
from panel.extensions import db
from panel.provisioning import operations
from panel.provisioning.loaders import load_job
from panel.provisioning.models import Job, JobEvent, JobStatus
from panel.provisioning.queries import job_query

blp = ApiBlueprint("api_jobs", __name__, url_prefix="/api/v1/jobs", description="Jobs")
# What a client can do with a job it is given the id of.
JOB_OPERATIONS = (
    "GET /api/v1/jobs/{job_id}",
    "POST /api/v1/jobs/{job_id}/cancel",
    "POST /api/v1/jobs/{job_id}/retry",
)


class JobEventSchema(Schema):
    counter = fields.Integer()
    event = fields.String()
    host = fields.String(allow_none=True)
    task = fields.String(allow_none=True)
    changed = fields.Boolean()
    failed = fields.Boolean()
    stdout = fields.String()
    created_at = UtcDateTime()


class JobSchema(InputSchema):
    id = fields.Integer(dump_only=True)
    action = fields.String(required=True, validate=validate.Length(min=1, max=64))
    hosts = fields.List(
        fields.String(validate=validate.Length(min=1, max=63)),
        required=True,
        validate=validate.Length(min=1, max=operations.MAX_HOSTS_PER_JOB),
        metadata={"description": "host or group names"},
    )
    status = fields.String(dump_only=True, metadata={"enum": [s.value for s in JobStatus]})
    reason = fields.String(dump_only=True)
    rc = fields.Integer(dump_only=True, allow_none=True)
    stats = fields.Dict(dump_only=True)
    resource_type = fields.String(dump_only=True, allow_none=True)
    resource_id = fields.Integer(dump_only=True, allow_none=True)
    retry_of_id = fields.Integer(dump_only=True, allow_none=True)
    cancel_requested = fields.Boolean(dump_only=True)
    queued_at = UtcDateTime(dump_only=True)
    started_at = UtcDateTime(dump_only=True, allow_none=True)
    finished_at = UtcDateTime(dump_only=True, allow_none=True)
    duration = fields.Float(dump_only=True, allow_none=True)


class JobDetailSchema(JobSchema):
    events = fields.List(fields.Nested(JobEventSchema), dump_only=True)


class JobQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in JobStatus]))
    action = Text(max_length=64)
    host = Text(max_length=63)
    requested_by = Id()


class EventQuerySchema(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_ID))


def _visible(job_id: int) -> Job:
    return load_job(job_id)


@blp.route("")
@blp.arguments(JobQuerySchema, location="query")
@blp.response(200, JobSchema(many=True))
@blp.paginate()
@errors(blp, 422)
def list_jobs(query, pagination_parameters):
    return page_of(job_query(current_user, query), pagination_parameters)


@blp.route("", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(JobSchema)
@blp.response(202, JobSchema)
@links(blp, 202, JOB_OPERATIONS, {"id": "job_id"})
@errors(blp)
def create_job(data):
    return operations.run_maintenance(data["action"], data["hosts"])


@blp.route("/<int:job_id>")
@blp.arguments(EventQuerySchema, location="query")
@blp.response(200, JobDetailSchema)
@errors(blp, 404, 422)
def get_job(query, job_id):
    job = _visible(job_id)
    events = db.session.scalars(
        select(JobEvent)
        .where(JobEvent.job_id == job.id, JobEvent.counter > query["after"])
        .order_by(JobEvent.counter)
    ).all()
    # Objects, not dumped values: the response schema dumps them once, its datetimes included.
    return {**{name: getattr(job, name) for name in JobSchema().dump_fields}, "events": events}


@blp.route("/<int:job_id>/cancel", methods=["POST"], roles=[Role.ADMIN])
@blp.response(202, JobSchema)
@errors(blp, 404, 409)
def cancel_job(job_id):
    return operations.cancel_job(_visible(job_id))


@blp.route("/<int:job_id>/retry", methods=["POST"])
@blp.response(202, JobSchema)
@links(blp, 202, JOB_OPERATIONS, {"id": "job_id"})
@errors(blp, 404, 409)
def retry_job(job_id):
    """Queue the failed, canceled or lost job's work again (a customer only reads jobs)."""
    return operations.retry_job(load_job(job_id, change=True))
