"""Where an unfinished job is: queued, or the task it is at (the latest task its events name)
and how many tasks it has started."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from panel.core.labels import label
from panel.extensions import db
from panel.provisioning.models import Job, JobEvent, JobStatus

TASK_START = "playbook_on_task_start"


@dataclass(frozen=True)
class Progress:
    status: str
    number: int = 0
    task: str | None = None


def progress_of(job: Job | None) -> Progress | None:
    """The job's progress, or None once it has finished (or there is none)."""
    if job is None or job.finished:
        return None
    if job.status == JobStatus.QUEUED:
        return Progress(job.status)
    # One query: the latest task start and, by a window over all of them, how many there are.
    latest = db.session.execute(
        select(JobEvent.task, func.count().over())
        .where(JobEvent.job_id == job.id, JobEvent.event == TASK_START)
        .order_by(JobEvent.counter.desc())
        .limit(1)
    ).first()
    if latest is None:
        return Progress(job.status)
    return Progress(job.status, latest[1], latest[0])


def describe(progress: Progress) -> str:
    """The progress in words: "queued", or the task it is at."""
    if progress.task:
        return _("Task %(number)s: %(task)s", number=progress.number, task=progress.task)
    return label(progress.status)
