"""The cluster's changes: BBB servers added, cordoned, enabled, panicked; a member's tenant
created, its secret rotated, its limits set, ended and opened again. Each writes its rows,
audits, and queues the job that tells BBBLB."""

import secrets
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from panel.coop.models import Member
from panel.core.audit import record, snapshot
from panel.core.errors import Conflict, NotFound, PanelError, ValidationFailed
from panel.core.models import utcnow
from panel.extensions import db
from panel.hosts.models import Host, HostRole, HostState
from panel.provisioning.models import Job
from panel.provisioning.operations import commit_and_dispatch, create_job, ensure_idle
from panel.video.cluster import INSTALL, PANIC, queue_sync, video_domain
from panel.video.models import BbbServer, Room, VideoTenant
from panel.video.names import clean_limit, clean_secret, clean_server_domain

SERVER_FIELDS = ("domain", "enabled", "host_id", "state")
TENANT_FIELDS = ("name", "realm", "max_participants", "max_duration_minutes", "recording_allowed")


def new_secret() -> str:
    """A shared secret as BBB makes them: 40 hex digits."""
    return secrets.token_hex(20)


KNOWN = _l("This server is already known.")


def _add_new(server: BbbServer, refusal: PanelError) -> None:
    """Write the new server's row; REFUSAL when BBBLB knows its domain already."""
    db.session.add(server)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise refusal from exc


def add_server(domain: Any, secret: Any, host_id: int | None = None) -> tuple[BbbServer, Job]:
    server = BbbServer(
        domain=clean_server_domain("domain", domain),
        secret=clean_secret("secret", secret),
        enabled=True,
        host_id=host_id,
    )
    _add_new(server, ValidationFailed.field("domain", KNOWN))
    job = queue_sync(server)
    record("bbb_server.add", server, after=snapshot(server, SERVER_FIELDS))
    commit_and_dispatch(job)
    return server, job


def install_server(host_name: Any) -> tuple[BbbServer, Job]:
    """BigBlueButton on the host HOST_NAME, of the role bbb (bbb-server.yml), with a secret the
    panel makes, and BBBLB told of it at once: it takes the server into placement once it
    answers."""
    name = host_name[:63] if isinstance(host_name, str) else ""
    host = db.session.scalar(select(Host).where(Host.name == name)) if name else None
    if host is None:
        raise NotFound(_l("No such host."))
    if host.role != HostRole.BBB or host.state != HostState.READY:
        raise Conflict(_l("BigBlueButton goes on a ready host of the role bbb."))
    secret = new_secret()
    server = BbbServer(
        domain=clean_server_domain("domain", host.name),
        secret=secret,
        enabled=True,
        host_id=host.id,
    )
    _add_new(server, Conflict(KNOWN))
    told = queue_sync(server)
    install = create_job(
        INSTALL.name,
        [host.name],
        resource=server,
        extra_vars={
            "bbb_server_hostname": server.domain,
            "bbb_server_letsencrypt_email": current_app.config["ACME_EMAIL"],
        },
        secret_vars={"bbb_server_secret": secret},
    )
    server.last_job_id = install.id
    record("bbb_server.install", server, after=snapshot(server, SERVER_FIELDS))
    commit_and_dispatch(told, install)
    return server, install


def set_server_enabled(server: BbbServer, enabled: bool) -> Job:
    """Enable a server for new meetings, or cordon it: running meetings go on, no new ones."""
    ensure_idle(server)
    before = snapshot(server, SERVER_FIELDS)
    server.enabled = enabled
    job = queue_sync(server)
    record(
        "bbb_server.enable" if enabled else "bbb_server.cordon",
        server,
        before=before,
        after=snapshot(server, SERVER_FIELDS),
    )
    commit_and_dispatch(job)
    return job


def panic_server(server: BbbServer) -> Job:
    """End every meeting on the server and cordon it (BBBLB's own `server disable --nuke`)."""
    ensure_idle(server)
    before = snapshot(server, SERVER_FIELDS)
    server.enabled = False
    job = queue_sync(server, PANIC.name, bbblb_panic_server=server.domain)
    record("bbb_server.panic", server, before=before, after=snapshot(server, SERVER_FIELDS))
    commit_and_dispatch(job)
    return job


def tenant_of(member: Member) -> VideoTenant | None:
    return db.session.scalar(select(VideoTenant).where(VideoTenant.member_id == member.id))


def own_tenant(member: Member) -> VideoTenant:
    """The member's tenant, which it must have set up."""
    tenant = tenant_of(member)
    if tenant is None:
        raise NotFound(_l("The member has not set up video yet."))
    return tenant


ALREADY = _l("The member has a video tenant already.")


def create_tenant(member: Member) -> tuple[VideoTenant, str, Job]:
    """The member's tenant on BBBLB; returns it, its secret (shown this once) and the job. A
    tenant the member ended is opened again, with a new secret."""
    domain = video_domain()
    existing = tenant_of(member)
    if existing is not None:
        return _reopen(existing)
    secret = new_secret()
    tenant = VideoTenant(
        member_id=member.id,
        name=member.prefix,
        realm=f"{member.prefix}.{domain}",
        secret=secret,
        recording_allowed=True,
    )
    db.session.add(tenant)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(ALREADY) from exc
    job = queue_sync(tenant)
    record(
        "video_tenant.create",
        tenant,
        after=snapshot(tenant, TENANT_FIELDS),
        member_id=member.id,
    )
    commit_and_dispatch(job)
    return tenant, secret, job


def _reopen(tenant: VideoTenant) -> tuple[VideoTenant, str, Job]:
    """The ended TENANT enabled again on BBBLB under a new secret: whoever kept the old one
    does not get back in."""
    if tenant.ended_at is None:
        raise Conflict(ALREADY)
    ensure_idle(tenant)
    before = snapshot(tenant, (*TENANT_FIELDS, "ended_at"))
    secret = new_secret()
    tenant.secret = secret
    tenant.secret_rotated_at = utcnow()
    tenant.ended_at = None
    job = queue_sync(tenant)
    record(
        "video_tenant.reopen",
        tenant,
        before=before,
        after=snapshot(tenant, (*TENANT_FIELDS, "ended_at")),
        member_id=tenant.member_id,
    )
    commit_and_dispatch(job)
    return tenant, secret, job


ENDED = _l("The video service has ended; set up video again first.")


def _open(tenant: VideoTenant) -> None:
    """Refuse a change to an ended tenant."""
    if tenant.ended_at is not None:
        raise Conflict(ENDED)


ROOMS_SHOWN = 5


def end_tenant(tenant: VideoTenant) -> Job:
    """The member's video service ends: BBBLB disables the tenant (its endpoint and secret stop
    working) but keeps it, so that its meetings' statistics stay. Its rooms must go first."""
    ensure_idle(tenant)
    _open(tenant)
    rooms = db.session.scalars(
        select(Room.name).where(Room.member_id == tenant.member_id).order_by(Room.name)
    ).all()
    if rooms:
        shown = ", ".join(rooms[:ROOMS_SHOWN])
        if len(rooms) > ROOMS_SHOWN:
            shown = f"{shown} (+{len(rooms) - ROOMS_SHOWN})"
        raise Conflict(
            _l("Delete these rooms before ending the video service: %(rooms)s.", rooms=shown)
        )
    tenant.ended_at = utcnow()
    job = queue_sync(tenant)
    record(
        "video_tenant.end",
        tenant,
        after={"ended_at": tenant.ended_at},
        member_id=tenant.member_id,
    )
    commit_and_dispatch(job)
    return job


def rotate_secret(tenant: VideoTenant) -> tuple[str, Job]:
    """A new secret for the tenant; the old one stops working once BBBLB has it."""
    ensure_idle(tenant)
    _open(tenant)
    secret = new_secret()
    tenant.secret = secret
    tenant.secret_rotated_at = utcnow()
    job = queue_sync(tenant)
    record(
        "video_tenant.rotate",
        tenant,
        after={"secret_rotated_at": tenant.secret_rotated_at},
        member_id=tenant.member_id,
    )
    commit_and_dispatch(job)
    return secret, job


def set_limits(
    tenant: VideoTenant, max_participants: Any, max_duration_minutes: Any, recording_allowed: Any
) -> Job:
    """The admin's limits, enforced by BBBLB on every meeting the tenant creates."""
    participants = clean_limit("max_participants", max_participants, 1000)
    duration = clean_limit("max_duration_minutes", max_duration_minutes, 24 * 60)
    if not isinstance(recording_allowed, bool):
        raise ValidationFailed.field("recording_allowed", _l("Must be true or false."))
    ensure_idle(tenant)
    before = snapshot(tenant, TENANT_FIELDS)
    tenant.max_participants = participants
    tenant.max_duration_minutes = duration
    tenant.recording_allowed = recording_allowed
    job = queue_sync(tenant)
    record(
        "video_tenant.limits",
        tenant,
        before=before,
        after=snapshot(tenant, TENANT_FIELDS),
        member_id=tenant.member_id,
    )
    commit_and_dispatch(job)
    return job
