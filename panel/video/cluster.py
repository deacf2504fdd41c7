"""What BBBLB is told, and how: the whole cluster state (servers and tenants with their
secrets and limits) goes to the balancer host in one job, playbooks/bbblb-state.yml, which
hands it to BBBLB's own `bbblb state import`. The state is read from the database when the job
runs, never stored with it: secrets stay encrypted at rest and out of the job's record."""

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.core.audit import record
from panel.core.errors import Conflict
from panel.extensions import db
from panel.hosts.models import Host, HostRole, HostState
from panel.provisioning.actions import Action
from panel.provisioning.models import Job, JobStatus
from panel.provisioning.operations import create_job
from panel.video.models import BbbServer, SyncState, VideoTenant


def balancer() -> Host:
    """The host that runs BBBLB: the first ready one with the role bbb-lb."""
    host = db.session.scalar(
        select(Host)
        .where(Host.role == HostRole.BBB_LB, Host.state == HostState.READY)
        .order_by(Host.id)
        .limit(1)
    )
    if host is None:
        raise Conflict(_l("Video is not set up: no BBBLB host (role bbb-lb) is ready."))
    return host


def video_domain() -> str:
    domain = current_app.config["VIDEO_DOMAIN"]
    if not domain:
        raise Conflict(_l("Video is not set up: PANEL_VIDEO_DOMAIN is not set."))
    return domain


def tenant_overrides(tenant: VideoTenant) -> dict[str, dict[str, str]]:
    """BBBLB's create overrides for the tenant's limits ('<': at most; '=': always)."""
    create: dict[str, str] = {}
    if tenant.max_participants:
        create["maxParticipants"] = f"<{tenant.max_participants}"
    if tenant.max_duration_minutes:
        create["duration"] = f"<{tenant.max_duration_minutes}"
    if not tenant.recording_allowed:
        create["record"] = "=false"
        create["autoStartRecording"] = "=false"
        create["allowStartStopRecording"] = "=false"
    return {"create": create, "join": {}}


def cluster_state(_hosts: list[str]) -> dict[str, Any]:
    """bbblb-state.yml's variables: every server and tenant as BBBLB's state file has them."""
    servers = db.session.scalars(select(BbbServer).order_by(BbbServer.domain))
    tenants = db.session.scalars(select(VideoTenant).order_by(VideoTenant.name))
    return {
        "bbblb_servers": {
            server.domain: {"secret": server.secret, "enabled": server.enabled}
            for server in servers
        },
        "bbblb_tenants": {
            tenant.name: {
                "realm": tenant.realm,
                "secret": tenant.secret,
                # An ended tenant stays, disabled: BBBLB keeps its meetings' statistics.
                "enabled": tenant.ended_at is None,
                "overrides": tenant_overrides(tenant),
            }
            for tenant in tenants
        },
    }


def panic_variables(server: BbbServer) -> dict[str, Any]:
    return {"bbblb_panic_server": server.domain}


STATE = Action(
    "bbblb-state",
    "bbblb-state.yml",
    description=_l("Tell BBBLB the cluster's servers and tenants"),
    secrets=cluster_state,
)
INSTALL = Action(
    "bbb-server",
    "bbb-server.yml",
    description=_l("Install a BigBlueButton 3.0 server (Ubuntu 22.04) with the panel's API secret"),
)
PANIC = Action(
    "bbblb-panic",
    "bbblb-panic.yml",
    description=_l("End every meeting on a BigBlueButton server and take it out of placement"),
)


def queue_sync(resource: BbbServer | VideoTenant, action: str = STATE.name, **extra: Any) -> Job:
    """The job that brings RESOURCE's change to BBBLB, in the current transaction; the caller
    commits, then dispatches."""
    resource.state = SyncState.PENDING
    resource.state_reason = ""
    job = create_job(
        action,
        [balancer().name],
        resource=resource,
        extra_vars=extra,
        member_id=getattr(resource, "member_id", None),
    )
    resource.last_job_id = job.id
    return job


class SyncOutcome:
    """A server's or tenant's latest job makes it active, or failed with the reason (retry:
    the same job again, which applies the state as it is then)."""

    def __init__(self, model: type[BbbServer] | type[VideoTenant]):
        self.model = model

    def may_retry(self, job: Job) -> None:
        resource = db.session.get(self.model, job.resource_id)
        if resource is None:
            raise Conflict(_l("It is gone; its jobs cannot be retried."))
        if resource.last_job_id != job.id:
            raise Conflict(_l("A later change overtook this job; it cannot be retried."))

    def started(self, job: Job) -> None:
        resource = db.session.get(self.model, job.resource_id)
        if resource is None:
            return
        # A retry of the latest job becomes the latest; other jobs leave that as it is.
        if job.retry_of_id is not None and job.retry_of_id == resource.last_job_id:
            resource.last_job_id = job.id
        if resource.last_job_id == job.id:
            resource.state = SyncState.PENDING
            resource.state_reason = ""

    def finished(self, job: Job) -> None:
        resource = db.session.get(self.model, job.resource_id)
        if resource is None or resource.last_job_id != job.id:
            return
        before = {"state": resource.state}
        if job.status == JobStatus.SUCCESSFUL and job.action == INSTALL.name:
            # Installed: BBBLB hears of the server from the state job queued with the install
            # (it polls the server until it answers).
            resource.state, resource.state_reason = SyncState.ACTIVE, ""
        elif job.status == JobStatus.SUCCESSFUL:
            resource.state, resource.state_reason = SyncState.ACTIVE, ""
        else:
            resource.state = SyncState.FAILED
            resource.state_reason = (job.reason or f"the job ended {job.status}")[:2000]
        record(
            f"{self.model.__tablename__[:-1]}.{resource.state}",
            resource,
            before=before,
            after={"state": resource.state, "job_id": job.id},
            member_id=getattr(resource, "member_id", None),
        )
