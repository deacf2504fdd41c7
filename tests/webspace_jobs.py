"""Job outcomes applied as the worker applies them, for tests that run no worker."""

from panel.extensions import db
from panel.provisioning.models import JobStatus
from panel.provisioning.operations import finish_job


def succeed(job, data: dict | None = None) -> None:
    """End the job as the worker would after a successful playbook run."""
    finish_job(job, JobStatus.SUCCESSFUL, stats={"data": data or {}})
    db.session.commit()


def fail(job, reason: str = "it broke", data: dict | None = None) -> None:
    finish_job(job, JobStatus.FAILED, reason=reason, stats={"data": data or {}})
    db.session.commit()
