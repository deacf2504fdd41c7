"""The models jobs work on, by resource type (Job.resource_type), as the features register
them: a job's reader is its resource's (a customer reads the jobs of the webspaces serving it)."""

from typing import Any

from panel.extensions import db

RESOURCES: dict[str, type] = {}


def register_resource(model: type) -> None:
    """A model jobs work on; its `viewer_user_id` and `served_to(user_id)` (optional) say
    which customer reads it and its jobs."""
    RESOURCES[model.__name__] = model


def resource_of(job: Any) -> Any:
    """The row the job works on, or None (a maintenance job, or a type nobody registered)."""
    model = RESOURCES.get(job.resource_type or "")
    if model is None or job.resource_id is None:
        return None
    return db.session.get(model, job.resource_id)
