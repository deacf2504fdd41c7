"""What a host's own jobs mean for the host. The setup job: ready once the baseline, the agent
and node_exporter are in place, failed (with the reason and a retry) otherwise. A job that
drains its host (a release upgrade): ready again once it succeeded, then the features set up
again what they run on it; kept drained with the reason and a retry otherwise."""

from panel.core.errors import Conflict
from panel.extensions import db
from panel.hosts.models import Host, HostState
from panel.hosts.operations import (
    drain,
    host_upgraded,
    maintenance_finished,
    setup_finished,
    setup_started,
)
from panel.provisioning.actions import ACTIONS
from panel.provisioning.models import JobStatus
from panel.provisioning.operations import create_job, dispatch_after_commit


def _drains(job) -> bool:
    definition = ACTIONS.get(job.action)
    return definition is not None and definition.drains


class HostJobs:
    def may_retry(self, job) -> None:
        host = db.session.get(Host, job.resource_id)
        if host is None or host.state == HostState.RETIRED:
            raise Conflict("The host is retired: its jobs are not run again.")

    def started(self, job) -> None:
        host = db.session.get(Host, job.resource_id)
        if host is None:
            return
        if _drains(job):
            drain(host, f"{job.action} job {job.id} runs")
        else:
            setup_started(host)

    def finished(self, job) -> None:
        host = db.session.get(Host, job.resource_id)
        if host is None:
            return
        reason = None
        if job.status != JobStatus.SUCCESSFUL:
            reason = f"{job.action} job {job.id} {job.status}: {job.reason or job.status}; retry it"
        if not _drains(job):
            setup_finished(host, reason)
            return
        maintenance_finished(host, reason)
        if reason is None:
            # The host's facts (its release above all) are read again.
            dispatch_after_commit(create_job("ping", [host.name]))
            host_upgraded.send(host)
