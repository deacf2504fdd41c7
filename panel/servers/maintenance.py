"""Actions on a managed server that leave its desired state alone: reboot, package upgrades,
restarting a service, and the drift check (server.yml in check mode) with its report."""

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from panel.core.audit import record
from panel.core.errors import Conflict
from panel.core.validators import clean_choice
from panel.extensions import db
from panel.provisioning.models import Job, JobEvent
from panel.provisioning.operations import commit_and_dispatch, create_job
from panel.servers.changes import IN_SERVICE, server_vars
from panel.servers.models import Server, ServerDesired
from panel.servers.names import clean_service

# Each action as the API names it, and the provisioning action (playbook) it runs.
SERVER_ACTIONS = {
    "reboot": "reboot",
    "upgrade": "apt-upgrade",
    "restart": "server-restart",
    "drift": "server-drift",
}


def run_action(server: Server, action: Any, service: Any = None) -> Job:
    """Queue one of SERVER_ACTIONS on the server's host; restart names the service."""
    action = clean_choice("action", action, tuple(SERVER_ACTIONS))
    variables: dict[str, Any] = {}
    if action == "restart":
        variables["server_service"] = clean_service("service", service, server.stacks)
    if server.state not in IN_SERVICE or server.desired != ServerDesired.ACTIVE:
        raise Conflict(_l("Not possible while the server is %(state)s.", state=server.state))
    if action == "drift":
        # The server's whole desired state, compared with what its host has now.
        variables = server_vars(server)
    job = create_job(
        SERVER_ACTIONS[action],
        [server.host.name],
        resource=server,
        extra_vars=variables,
        member_id=server.member_id,
    )
    record(
        f"server.{action}",
        server,
        after={"job_id": job.id, **variables} if action == "restart" else {"job_id": job.id},
        member_id=server.member_id,
    )
    commit_and_dispatch(job)
    return job


@dataclass(frozen=True)
class Drift:
    """The last drift check: its job, and each task that would change something (its name,
    and its output with the diff)."""

    job: Job
    changes: list[JobEvent]


def drift_report(server: Server) -> Drift | None:
    job = db.session.scalar(
        select(Job)
        .where(
            Job.resource_type == "Server",
            Job.resource_id == server.id,
            Job.action == SERVER_ACTIONS["drift"],
        )
        .order_by(Job.id.desc())
        .limit(1)
    )
    if job is None:
        return None
    changes = db.session.scalars(
        select(JobEvent)
        .where(
            JobEvent.job_id == job.id,
            # --diff reports what a task would change in an event of its own.
            or_(JobEvent.changed.is_(True), JobEvent.event == "runner_on_file_diff"),
        )
        .order_by(JobEvent.counter)
    ).all()
    return Drift(job, list(changes))
