"""Every change to jobs: create and queue, run maintenance, cancel, retry, and finish."""

import json
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from panel.core.audit import current_actor, record, snapshot
from panel.core.errors import Conflict, ValidationFailed
from panel.core.models import utcnow
from panel.extensions import db
from panel.hosts.models import Host, HostState
from panel.hosts.operations import drain, record_facts
from panel.notifications import events
from panel.provisioning.actions import ACTIONS
from panel.provisioning.models import FINISHED, HostLock, Job, JobStatus
from panel.provisioning.outcomes import outcome_for

JOB_FIELDS = (
    "action",
    "hosts",
    "status",
    "reason",
    "rc",
    "retry_of_id",
    "resource_type",
    "resource_id",
)
MAX_HOSTS_PER_JOB = 500
AFTER_COMMIT = "panel.jobs_after_commit"


def ensure_idle(resource: Any) -> None:
    """One change at a time per resource (a row with `last_job`): the next waits until the last
    job has ended. The row is locked for the rest of the transaction (on PostgreSQL; SQLite
    writes one at a time anyway), so that two requests cannot both find it idle."""
    # Written first: the refresh would otherwise drop what the caller set on it so far.
    db.session.flush()
    db.session.refresh(resource, with_for_update=True)
    job = resource.last_job
    if job is not None and not job.finished:
        raise Conflict(_l("A change is still being made; try again when its job has ended."))


def create_job(
    action: str,
    hosts: list[str],
    *,
    resource: Any = None,
    extra_vars: dict | None = None,
    secret_vars: dict | None = None,
    member_id: int | None = None,
    retry_of: Job | None = None,
) -> Job:
    """A queued job in the current transaction; call dispatch() after the commit."""
    definition = ACTIONS[action]
    made = definition.variables(list(hosts)) if definition.variables is not None else {}
    job = Job(
        action=action,
        playbook=definition.playbook,
        hosts=list(hosts),
        extra_vars={**made, **(extra_vars or {})},
        secret_vars=json.dumps(secret_vars) if secret_vars else None,
        resource_type=type(resource).__name__ if resource is not None else None,
        resource_id=getattr(resource, "id", None),
        member_id=member_id,
        retry_of_id=retry_of.id if retry_of else None,
        requested_by_id=getattr(current_actor(), "id", None),
        timeout=current_app.config["JOB_TIMEOUT"],
    )
    db.session.add(job)
    db.session.flush()
    record("job.create", job, after=snapshot(job, JOB_FIELDS), member_id=member_id)
    return job


def enqueue(job_id: int) -> None:
    """Put the job on the queue; safe to repeat, since only one worker can claim it."""
    current_app.extensions["queue_tasks"]["run_job"](job_id)


def dispatch(job: Job) -> None:
    enqueue(job.id)


def dispatch_after_commit(job: Job) -> None:
    """Queue JOB once the transaction that made it commits: for jobs made where the caller
    commits (a job's outcome, in the worker)."""
    db.session.info.setdefault(AFTER_COMMIT, []).append(job.id)


def dispatch_committed(session) -> None:
    """The session's after_commit: queue what dispatch_after_commit() held back."""
    for job_id in session.info.pop(AFTER_COMMIT, []):
        enqueue(job_id)


def forget_uncommitted(session) -> None:
    """The session's after_rollback: jobs that were rolled back are never queued."""
    session.info.pop(AFTER_COMMIT, None)


def commit_and_dispatch(*jobs: Job | None) -> None:
    """Commit the change that created the jobs, then queue them (None: no job was needed). Never
    before the commit: a worker must find the job's row."""
    db.session.commit()
    for job in jobs:
        if job is not None:
            dispatch(job)


def queue_baseline(host: Host) -> Job:
    """The setup job (baseline, agent, node_exporter) for a host onboarding reached (hosts'
    baseline_wanted); the host is ready once it succeeded (onboarding.HostJobs)."""
    job = create_job("setup", [host.name], resource=host)
    commit_and_dispatch(job)
    return job


def resolve_hosts(names: Any) -> list[str]:
    """Host names and group names, expanded to the usable hosts they name."""
    if isinstance(names, str):
        names = [part.strip() for part in names.split(",") if part.strip()]
    if not isinstance(names, list) or not names or len(names) > MAX_HOSTS_PER_JOB:
        raise ValidationFailed.field("hosts", "Name at least one host or group.")
    hosts = db.session.scalars(select(Host).where(Host.state != HostState.RETIRED)).all()
    chosen: set[str] = set()
    for name in names:
        if not isinstance(name, str):
            raise ValidationFailed.field("hosts", "Host names are text.")
        matches = [h.name for h in hosts if h.name == name or name in (h.groups or [])]
        if not matches:
            raise ValidationFailed.field("hosts", f"No such host or group: {name[:63]}")
        chosen.update(matches)
    return sorted(chosen)


def run_maintenance(action: Any, hosts: Any) -> Job:
    if not isinstance(action, str) or action not in ACTIONS or not ACTIONS[action].maintenance:
        choices = ", ".join(sorted(a for a, d in ACTIONS.items() if d.maintenance))
        raise ValidationFailed.field("action", f"Choose one of: {choices}.")
    chosen = resolve_hosts(hosts)
    if not ACTIONS[action].drains:
        job = create_job(action, chosen)
        commit_and_dispatch(job)
        return job
    if len(chosen) != 1:
        raise ValidationFailed.field("hosts", "This maintenance runs on one host at a time.")
    host = db.session.scalars(select(Host).where(Host.name == chosen[0])).one()
    job = create_job(action, chosen, resource=host)
    drain(host, f"{action} job {job.id} runs")
    commit_and_dispatch(job)
    return job


def cancel_job(job: Job) -> Job:
    """A queued job ends at once; a running one is stopped by its worker."""
    if job.finished:
        raise Conflict(f"The job is already {job.status}.")
    before = snapshot(job, JOB_FIELDS)
    if job.status == JobStatus.QUEUED:
        finish_job(job, JobStatus.CANCELED, reason="canceled before it started")
    else:
        job.cancel_requested = True
    record(
        "job.cancel", job, before=before, after=snapshot(job, JOB_FIELDS), member_id=job.member_id
    )
    db.session.commit()
    return job


def retry_job(job: Job) -> Job:
    """A new job with the same work, linked to the old one."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.LOST):
        raise Conflict(f"Only failed, canceled or lost jobs can be retried, not {job.status} ones.")
    outcome_for(job).may_retry(job)
    retry = Job(
        action=job.action,
        playbook=job.playbook,
        hosts=list(job.hosts),
        extra_vars=dict(job.extra_vars),
        secret_vars=job.secret_vars,
        resource_type=job.resource_type,
        resource_id=job.resource_id,
        member_id=job.member_id,
        retry_of_id=job.id,
        timeout=job.timeout,
    )
    retry.requested_by_id = getattr(current_actor(), "id", None)
    db.session.add(retry)
    db.session.flush()
    outcome_for(retry).started(retry)
    record(
        "job.retry",
        retry,
        before={"retry_of": job.id},
        after=snapshot(retry, JOB_FIELDS),
        member_id=job.member_id,
    )
    commit_and_dispatch(retry)
    return retry


def finish_job(
    job: Job,
    status: JobStatus,
    *,
    reason: str = "",
    rc: int | None = None,
    stats: dict | None = None,
    only_if: Any = None,
) -> bool:
    """Record a job's end, free its hosts and settle its resource; the caller commits.

    The status changes by a conditional UPDATE, so when a worker, a reaper and a cancel race for
    the same job exactly one of them ends it; the others get False and change nothing."""
    values: dict[str, Any] = {"status": status, "reason": reason[:4000], "finished_at": utcnow()}
    if rc is not None:
        values["rc"] = rc
    if stats is not None:
        values["stats"] = stats
    statement = update(Job).where(Job.id == job.id, Job.status.in_(unfinished_states()))
    if only_if is not None:
        statement = statement.where(only_if)
    before = snapshot(job, JOB_FIELDS)
    if not db.session.execute(statement.values(**values)).rowcount:
        return False
    db.session.refresh(job)
    db.session.execute(HostLock.__table__.delete().where(HostLock.job_id == job.id))
    definition = ACTIONS.get(job.action)
    if status == JobStatus.SUCCESSFUL and definition is not None and definition.reports_facts:
        record_facts((job.stats or {}).get("data", {}).get("hosts") or {})
    outcome_for(job).finished(job)
    if status in (JobStatus.FAILED, JobStatus.LOST):
        events.job_failed(job.id, job.action, status, job.reason, job.hosts or [])
    record(
        f"job.{status}",
        job,
        before=before,
        after=snapshot(job, JOB_FIELDS),
        member_id=job.member_id,
    )
    return True


def unfinished_states() -> tuple[str, ...]:
    return tuple(status.value for status in JobStatus if status not in FINISHED)
