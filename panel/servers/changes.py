"""How a managed server changes on its host: the playbooks' variables, the jobs that take it to
its desired state, and what their outcome makes of it (a provisioning Outcome)."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from panel.core.audit import record
from panel.core.errors import Conflict
from panel.core.models import utcnow
from panel.extensions import db
from panel.notifications import events
from panel.provisioning.actions import Action, base_variables
from panel.provisioning.models import Job, JobStatus
from panel.provisioning.operations import commit_and_dispatch, create_job, ensure_idle
from panel.servers.models import ReleaseMode, Server, ServerDesired, ServerState

# Registered with provisioning by panel.servers.feature; reboot and apt-upgrade are the
# maintenance actions every host has.
ACTIONS = {
    action.name: action
    for action in (
        Action(
            "server",
            "server.yml",
            description=_l(
                "Set up a managed server: hostname, SSH hardening, stacks, users, firewall"
            ),
            variables=base_variables,
        ),
        Action(
            "server-release",
            "server-release.yml",
            description=_l("Release a managed server to the pool, archived or wiped"),
            variables=base_variables,
        ),
        Action(
            "server-restart",
            "server-restart.yml",
            description=_l("Restart a managed server's service"),
        ),
        Action(
            "server-drift",
            "server.yml",
            description=_l("Check a managed server for changes against its desired state"),
            variables=base_variables,
            check=True,
        ),
    )
}
# The jobs that move a server's state; the others (reboot, upgrade, restart, drift check) leave
# it as it is.
STATE_ACTIONS = ("server", "server-release")
# A server's own changes (users, keys, ports) and its actions need it set up and staying.
IN_SERVICE = (ServerState.ACTIVE, ServerState.FAILED)


def server_vars(server: Server) -> dict[str, Any]:
    """The extra vars of playbooks/server.yml: the server's whole desired state."""
    return {
        "server_hostname": server.hostname,
        "server_stacks": list(server.stacks),
        "server_users": [
            {"name": user.name, "sudo": user.sudo, "keys": [key.public_key for key in user.keys]}
            for user in server.users
        ],
        "server_open_ports": [{"port": port.port, "proto": port.proto} for port in server.ports],
    }


def archive_folder(server: Server) -> Path:
    """Where a released server's archive lands: in the instance folder, readable by the panel
    only."""
    return Path(current_app.instance_path) / "server-archives" / str(server.id)


def release_vars(server: Server, mode: ReleaseMode) -> dict[str, Any]:
    """The extra vars of playbooks/server-release.yml."""
    variables: dict[str, Any] = {
        "server_release_mode": mode.value,
        "server_pool_hostname": server.host.name,
    }
    if mode == ReleaseMode.ARCHIVE:
        variables["server_archive_dest"] = str(archive_folder(server))
    return variables


def ensure_in_service(server: Server) -> None:
    """The server is set up on its host and not on its way back to the pool."""
    if server.state not in IN_SERVICE or server.desired != ServerDesired.ACTIVE:
        raise Conflict(_l("Not possible while the server is %(state)s.", state=server.state))


def queue_state_job(
    server: Server, action: str, desired: ServerDesired, extra_vars: dict[str, Any]
) -> Job:
    """Set the server on its way to DESIRED and create the job that takes it there, in the
    current transaction; the caller commits, then dispatches."""
    server.desired = desired
    server.state = (
        ServerState.RELEASING if desired == ServerDesired.RELEASED else ServerState.PENDING
    )
    server.state_reason = ""
    job = create_job(
        action,
        [server.host.name],
        resource=server,
        extra_vars=extra_vars,
        member_id=server.member_id,
    )
    server.last_job_id = job.id
    server.last_job = job
    return job


def queue_apply(server: Server) -> Job:
    """server.yml with the server's whole desired state."""
    return queue_state_job(server, "server", ServerDesired.ACTIVE, server_vars(server))


def apply_change(server: Server, action: str, obj: Any, before: dict | None, after: dict | None):
    """After a change to the server's users, keys or ports (already written): server.yml with
    all of them, the audit entry ACTION about OBJ, the commit, and the job on the queue."""
    job = queue_apply(server)
    record(action, obj, before=before, after=after, member_id=server.member_id)
    commit_and_dispatch(job)
    return job


class ServerOutcome:
    """A state job (server.yml, server-release.yml) moves the server to its desired state, or
    to failed with the reason; only the server's latest one decides. Its other jobs (reboot,
    upgrade, restart, drift check) leave the server's state alone."""

    def may_retry(self, job: Job) -> None:
        server = db.session.get(Server, job.resource_id)
        if server is None or server.state == ServerState.RELEASED:
            raise Conflict(_l("The server is released; its jobs cannot be retried."))
        if job.action in STATE_ACTIONS:
            if server.last_job_id != job.id:
                raise Conflict(_l("A later change overtook this job; it cannot be retried."))
            ensure_idle(server)

    def started(self, job: Job) -> None:
        server = db.session.get(Server, job.resource_id)
        if server is None or job.action not in STATE_ACTIONS:
            return
        server.last_job_id = job.id
        releasing = server.desired == ServerDesired.RELEASED
        server.state = ServerState.RELEASING if releasing else ServerState.PENDING
        server.state_reason = ""

    def finished(self, job: Job) -> None:
        server = db.session.get(Server, job.resource_id)
        if server is None or job.action not in STATE_ACTIONS or server.last_job_id != job.id:
            return
        before = {"state": server.state}
        if job.status != JobStatus.SUCCESSFUL:
            server.state = ServerState.FAILED
            server.state_reason = job.reason or f"the job ended {job.status}"
            if job.status != JobStatus.CANCELED:
                events.resource_failed(
                    server.member_id,
                    "servers",
                    server.hostname,
                    server.state_reason,
                    f"/servers/{server.id}",
                )
        elif server.desired == ServerDesired.RELEASED:
            self.released(server, (job.stats or {}).get("data") or {})
        else:
            server.state = ServerState.ACTIVE
            server.state_reason = ""
        record(
            f"server.{server.state}",
            server,
            before=before,
            after={"state": server.state, "job_id": job.id},
            member_id=server.member_id,
        )

    def released(self, server: Server, data: dict) -> None:
        """The host is back in the pool; an archive it made is kept for the grace period."""
        server.state = ServerState.RELEASED
        server.state_reason = ""
        server.released_at = utcnow()
        reported = (data.get("server_release") or {}).get("archive")
        # Only a plain file name in the server's archive folder, whatever the host reported.
        plain = isinstance(reported, str) and reported == Path(reported).name
        if server.release_mode == ReleaseMode.ARCHIVE and plain and not reported.startswith("."):
            server.archive_file = reported[:255]
            days = current_app.config["SERVER_ARCHIVE_DAYS"]
            server.archive_purge_after = server.released_at + timedelta(days=days)
