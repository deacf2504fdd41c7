"""What the setup job's outcome means for its host: ready once the baseline, the agent and
node_exporter are in place, failed (with the reason and a retry) otherwise."""

from panel.core.errors import Conflict
from panel.extensions import db
from panel.hosts.models import Host, HostState
from panel.hosts.operations import setup_finished, setup_started
from panel.provisioning.models import JobStatus


class HostSetup:
    def may_retry(self, job) -> None:
        host = db.session.get(Host, job.target_id)
        if host is None or host.state == HostState.RETIRED:
            raise Conflict("The host is retired: its setup is not run again.")

    def started(self, job) -> None:
        host = db.session.get(Host, job.target_id)
        if host is not None:
            setup_started(host)

    def finished(self, job) -> None:
        host = db.session.get(Host, job.target_id)
        if host is None:
            return
        if job.status == JobStatus.SUCCESSFUL:
            setup_finished(host, None)
        else:
            reason = job.reason or job.status
            setup_finished(host, f"setup job {job.id} {job.status}: {reason}; retry it")
