"""How a webspace resource changes on its host: the job that takes it to a desired state, and
what that job's outcome makes of the resource (a provisioning Outcome for each kind)."""

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.core.audit import record, snapshot
from panel.core.errors import Conflict
from panel.core.models import utcnow
from panel.extensions import db
from panel.notifications import events
from panel.provisioning.actions import Action
from panel.provisioning.models import Job, JobStatus
from panel.provisioning.operations import commit_and_dispatch, create_job, ensure_idle
from panel.webspaces.guards import ensure_state
from panel.webspaces.models import Database, Desired, Domain, SftpUser, State, Webspace
from panel.webspaces.tls import record_certificate, record_failure

# The action of each kind's job; panel.webspaces.feature registers them with provisioning.
ACTIONS = {
    Webspace: Action("webspace", "webspace.yml", description=_l("Set up a webspace")),
    Domain: Action("domain", "domain.yml", description=_l("Serve a domain")),
    Database: Action("database", "database.yml", description=_l("Set up a database")),
    SftpUser: Action("sftp-user", "sftp-user.yml", description=_l("Set up an SFTP user")),
}
LEAVING = (Desired.ARCHIVED, Desired.PURGED, Desired.ABSENT)
# Where each desired state ends when its job succeeds.
REACHED = {
    Desired.ACTIVE: State.ACTIVE,
    Desired.SUSPENDED: State.SUSPENDED,
    Desired.ARCHIVED: State.DELETED,
    Desired.PURGED: State.DELETED,
    Desired.ABSENT: State.DELETED,
    Desired.RESTORED: State.ACTIVE,
}


def webspace_of(resource: Any) -> Webspace:
    return resource if isinstance(resource, Webspace) else resource.webspace


def queue_change(
    resource: Any,
    desired: Desired,
    extra_vars: dict,
    *,
    secret_vars: dict | None = None,
) -> Job:
    """Set the resource on its way to DESIRED and create the job that takes it there, in the
    current transaction; the caller commits, then dispatches the job."""
    webspace = webspace_of(resource)
    resource.desired = desired
    resource.state = State.DELETING if desired in LEAVING else State.PENDING
    resource.state_reason = ""
    job = create_job(
        ACTIONS[type(resource)].name,
        [webspace.host.name],
        resource=resource,
        extra_vars=extra_vars,
        secret_vars=secret_vars,
        member_id=resource.member_id,
    )
    resource.last_job_id = job.id
    resource.last_job = job
    return job


def ride_along(domain: Domain, job: Job, extra_vars: dict) -> None:
    """Serve DOMAIN in the same playbook run as JOB, its new webspace's (webspace.yml takes the
    domain's variables too): one start of Ansible and one connection instead of two. The
    webspace's outcome settles the domain as well (WebspaceOutcome)."""
    domain.desired = Desired.ACTIVE
    domain.state = State.PENDING
    domain.state_reason = ""
    domain.last_job = job
    job.extra_vars = {**job.extra_vars, **extra_vars}


def change(
    resource: Any,
    desired: Desired,
    action: str,
    allowed: tuple,
    *,
    fields: tuple[str, ...],
    queue: Callable[[Any, Desired], Job],
    parts: Iterable[tuple[Any, Desired]] = (),
) -> tuple[Any, Job]:
    """Take the resource towards DESIRED from one of the ALLOWED states, and PARTS (each with
    its own desired state) along with it: QUEUE makes each one's job. Audited as ACTION with
    the resource's FIELDS before and after; committed, then the jobs are dispatched."""
    parts = list(parts)
    for each in (resource, *(part for part, _ in parts)):
        ensure_idle(each)
    ensure_state(resource, allowed)
    before = snapshot(resource, fields)
    jobs = [queue(resource, desired), *(queue(part, target) for part, target in parts)]
    record(
        action,
        resource,
        before=before,
        after=snapshot(resource, fields),
        member_id=resource.member_id,
    )
    commit_and_dispatch(*jobs)
    return resource, jobs[0]


def purge_due(model: type, purge: Any) -> list:
    """Purge the deleted rows of MODEL whose grace period is over (periodic). One that is busy
    (a job still running for it) waits for the next round instead of stopping this one."""
    due = db.session.scalars(
        select(model).where(
            model.state == State.DELETED,
            model.desired == Desired.ARCHIVED,
            model.purge_after <= utcnow(),
        )
    ).all()
    purged = []
    for resource in due:
        try:
            purged.append(purge(resource)[0])
        except Conflict:
            db.session.rollback()
    return purged


def riders(job_id: int | None) -> list[Domain]:
    """The domains whose latest change rode along with webspace job JOB_ID."""
    if job_id is None:
        return []
    return list(db.session.scalars(select(Domain).where(Domain.last_job_id == job_id)))


class ResourceOutcome:
    """Moves the resource a job worked on to its desired state, or to failed with the reason.
    Only the resource's latest job decides: an older one's late end changes nothing."""

    def __init__(self, model: type, forgotten: tuple[Desired, ...] = ()):
        self.model = model
        self.forgotten = forgotten

    def resource(self, job: Job) -> Any:
        resource = db.session.get(self.model, job.resource_id)
        if resource is None or resource.last_job_id not in (job.id, None):
            return None
        return resource

    def may_retry(self, job: Job) -> None:
        """Only the resource's latest job, while nothing else runs for it: an older one would
        take the host back to a state the panel has left."""
        resource = db.session.get(self.model, job.resource_id)
        if resource is None or resource.last_job_id != job.id:
            raise Conflict(_l("A later change overtook this job; it cannot be retried."))
        ensure_idle(resource)

    def started(self, job: Job) -> None:
        """A retry: the resource is on its way again."""
        resource = db.session.get(self.model, job.resource_id)
        if resource is not None:
            self.started_with(resource, job)

    def started_with(self, resource: Any, job: Job) -> None:
        resource.last_job_id = job.id
        resource.state = State.DELETING if resource.desired in LEAVING else State.PENDING
        resource.state_reason = ""

    def finished(self, job: Job) -> None:
        resource = self.resource(job)
        if resource is not None:
            self.settle(resource, job)

    def settle(self, resource: Any, job: Job) -> None:
        """The resource's state after JOB, its latest, ended."""
        before = {"state": resource.state}
        if job.status == JobStatus.SUCCESSFUL:
            resource.state = REACHED[Desired(resource.desired)]
            resource.state_reason = ""
            self.reached(resource, job.stats.get("data") or {})
        else:
            resource.state = State.FAILED
            resource.state_reason = job.reason or f"the job ended {job.status}"
            self.failed(resource, job)
            if job.status != JobStatus.CANCELED:
                events.resource_failed(
                    resource.member_id,
                    self.model.__tablename__,
                    resource.name,
                    resource.state_reason,
                    f"/webspaces/{getattr(resource, 'webspace_id', None) or resource.id}",
                )
        record(
            f"{self.model.__tablename__[:-1]}.{resource.state}",
            resource,
            before=before,
            after={"state": resource.state, "job_id": job.id},
            member_id=resource.member_id,
        )
        if resource.state == State.DELETED and resource.desired in self.forgotten:
            # Gone from the host for good: the name is free again; the audit log keeps it.
            db.session.delete(resource)

    def reached(self, resource: Any, data: dict) -> None:
        """What the job reports beyond its success (set_stats data)."""

    def failed(self, resource: Any, job: Job) -> None:
        """More to record about a failure."""


class WebspaceOutcome(ResourceOutcome):
    """Also settles the domains that rode along with the webspace's job (ride_along)."""

    def may_retry(self, job: Job) -> None:
        super().may_retry(job)
        for domain in riders(job.id):
            ensure_idle(domain)

    def started(self, job: Job) -> None:
        super().started(job)
        for domain in riders(job.retry_of_id):
            OUTCOMES[Domain].started_with(domain, job)

    def finished(self, job: Job) -> None:
        super().finished(job)
        for domain in riders(job.id):
            OUTCOMES[Domain].settle(domain, job)

    def reached(self, webspace: Webspace, data: dict) -> None:
        reported = data.get("webspace") or {}
        if isinstance(reported.get("uid"), int):
            webspace.uid = reported["uid"]
        if isinstance(reported.get("quota_enforced"), bool):
            webspace.quota_enforced = reported["quota_enforced"]
        if webspace.desired == Desired.ARCHIVED:
            webspace.deleted_at = utcnow()
            days = current_app.config["WEBSPACE_ARCHIVE_DAYS"]
            webspace.purge_after = webspace.deleted_at + timedelta(days=days)
        elif webspace.desired == Desired.PURGED:
            webspace.purged_at = utcnow()
            webspace.purge_after = None
            # Gone from the host with the webspace: their names are free again.
            for domain in list(webspace.domains):
                db.session.delete(domain)
        elif webspace.desired == Desired.ACTIVE:
            webspace.deleted_at = webspace.purge_after = None


class DomainOutcome(ResourceOutcome):
    def reached(self, domain: Domain, data: dict) -> None:
        record_certificate(domain, data.get("domain") or {})

    def failed(self, domain: Domain, job: Job) -> None:
        if domain.desired == Desired.ACTIVE and domain.tls:
            record_failure(domain, job)


# What each kind's job outcome makes of it; panel.webspaces.feature registers them.
OUTCOMES = {
    Webspace: WebspaceOutcome(Webspace),
    Domain: DomainOutcome(Domain, forgotten=(Desired.ABSENT,)),
    Database: ResourceOutcome(Database, forgotten=(Desired.PURGED,)),
    SftpUser: ResourceOutcome(SftpUser, forgotten=(Desired.ABSENT,)),
}
