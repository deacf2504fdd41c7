"""What a failed resource tells the people who use it: the kind of failure, read from its last
job, as plain sentences in the reader's language (what failed, that the office knows, whether
trying again helps). The technical reason is for admins; it stays on the resource and its job."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from panel.core.access import can_change
from panel.core.roles import Role
from panel.provisioning.models import Job, JobStatus

FAILED = "failed"
# Job ends a retry may repeat (panel.provisioning.operations.retry_job).
RETRYABLE = (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.LOST)


class FailureKind(StrEnum):
    UNREACHABLE = "unreachable"
    TASK_FAILED = "task_failed"
    TIMEOUT = "timeout"
    CANCELED = "canceled"
    CERTIFICATE = "certificate"


SENTENCES = {
    FailureKind.UNREACHABLE: _l(
        "Our server could not be reached, so nothing was changed. The office has been told."
        " Please try again in a few minutes."
    ),
    FailureKind.TASK_FAILED: _l(
        "A step on our server went wrong. The office has been told and will look into it."
        " You may try again; if it fails again, please wait for the office."
    ),
    FailureKind.TIMEOUT: _l(
        "The change took too long and was stopped. The office has been told. Please try again."
    ),
    FailureKind.CANCELED: _l(
        "The change was stopped before it was finished. You can start it again."
    ),
    FailureKind.CERTIFICATE: _l(
        "No certificate could be issued for this domain; check that its DNS points to our"
        " server. The panel tries again by itself, and the office has been told."
    ),
}
# What was being done, by the resource's desired state.
WHAT = {
    "active": _l("Setting this up failed."),
    "restored": _l("Restoring this failed."),
    "suspended": _l("Suspending this failed."),
    "archived": _l("Deleting this failed."),
    "purged": _l("Deleting this failed."),
    "absent": _l("Removing this failed."),
    "released": _l("Releasing this failed."),
}
SOMETHING = _l("The last change failed.")


def kind_of(status: str | None, reason: str, tls_error: str = "") -> FailureKind:
    """The kind of a failure, from its job's end and the reason the worker wrote
    (panel/provisioning/runner.py and tasks.py word them)."""
    if tls_error:
        return FailureKind.CERTIFICATE
    if status == JobStatus.CANCELED or reason.startswith("canceled"):
        return FailureKind.CANCELED
    if status == JobStatus.LOST or reason.startswith(("timed out", "lost")):
        return FailureKind.TIMEOUT
    if reason.startswith("unreachable"):
        return FailureKind.UNREACHABLE
    return FailureKind.TASK_FAILED


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    what: str
    sentence: str
    # The technical reasons, for admins only.
    reasons: tuple[str, ...]
    job: Job | None
    # The job a retry repeats, when the reader may retry it.
    retry: Job | None
    # Whether the reader sees the technical reasons and the job (admins).
    technical: bool


def failure_of(resource: Any) -> Failure | None:
    """How RESOURCE's failure reads to the current user, or None while it has not failed."""
    if resource is None or resource.state != FAILED:
        return None
    job = getattr(resource, "last_job", None)
    reason = resource.state_reason or ""
    tls_error = getattr(resource, "tls_error", "") or ""
    kind = kind_of(job.status if job is not None else None, reason, tls_error)
    retry = None
    if job is not None and job.status in RETRYABLE and can_change(current_user, job):
        retry = job
    return Failure(
        kind=kind,
        what=str(WHAT.get(getattr(resource, "desired", ""), SOMETHING)),
        sentence=str(SENTENCES[kind]),
        reasons=tuple(text for text in (reason, tls_error) if text),
        job=job,
        retry=retry,
        technical=getattr(current_user, "role", None) == Role.ADMIN,
    )
