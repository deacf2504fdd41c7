"""A host is ready only once it is monitored and metered: onboarding reads it and queues its setup
job (baseline, agent, node_exporter); the job's success makes it ready, its failure failed with
the reason and a retry. No webspace goes to a host that is not ready."""

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from panel.core.audit import acting
from panel.core.errors import Conflict, ValidationFailed
from panel.extensions import db
from panel.hosts import operations
from panel.hosts.models import HostState
from panel.provisioning import operations as jobs
from panel.provisioning.actions import ACTIONS
from panel.provisioning.models import Job, JobStatus
from panel.webspaces.operations import place
from panel_testbed.cli import up

FACTS = "Debian GNU/Linux 13 (trixie)\n2\n2147483648\n  21474836480 10737418240\ntrixie\n13\n3\n"


def onboarded(make_host, name: str):
    host = make_host(name, state=HostState.NEW)
    operations.onboard_host(host)
    (job,) = db.session.scalars(select(Job).where(Job.resource_id == host.id)).all()
    return host, job


def finish(job: Job, status: JobStatus, reason: str = "") -> None:
    with acting("worker"):
        assert jobs.finish_job(job, status, reason=reason)
        db.session.commit()


def test_the_setup_job_installs_the_baseline_the_agent_and_its_tokens():
    setup = ACTIONS["setup"]
    assert (setup.playbook, setup.maintenance) == ("setup.yml", False)
    assert setup.secrets is ACTIONS["agent"].secrets
    assert setup.variables is ACTIONS["base"].variables


def test_a_host_is_ready_once_its_setup_succeeded(make_host, reachable):
    host, job = onboarded(make_host, "on1")
    assert (host.state, host.onboarded_at) == (HostState.ONBOARDING, None)
    with pytest.raises(ValidationFailed):
        place("on1")
    finish(job, JobStatus.SUCCESSFUL)
    assert host.state == HostState.READY and host.state_reason == ""
    assert host.onboarded_at is not None
    assert place("on1") is host


def test_a_failed_setup_leaves_the_host_failed_with_the_reason_and_a_retry(make_host, reachable):
    host, job = onboarded(make_host, "on2")
    finish(job, JobStatus.FAILED, "agent: port 9835 did not answer")
    assert host.state == HostState.FAILED
    assert host.state_reason == (
        f"setup job {job.id} failed: agent: port 9835 did not answer; retry it"
    )
    with pytest.raises(ValidationFailed):
        place("on2")
    with acting("cli"):
        retry = jobs.retry_job(job)
    assert (retry.action, retry.resource_type, retry.resource_id) == ("setup", "Host", host.id)
    assert host.state == HostState.ONBOARDING and host.state_reason == ""
    finish(retry, JobStatus.SUCCESSFUL)
    assert host.state == HostState.READY


def test_a_retired_hosts_setup_is_not_retried_and_changes_nothing(make_host, reachable):
    host, job = onboarded(make_host, "on3")
    finish(job, JobStatus.LOST, "lost")
    operations.retire_host(host)
    with acting("cli"), pytest.raises(Conflict):
        jobs.retry_job(job)
    assert host.state == HostState.RETIRED


def test_a_host_never_set_up_is_not_made_ready_by_a_later_job(make_host):
    host = make_host("on4", state=HostState.UNREACHABLE)
    operations.mark_seen("on4", True)
    assert host.state == HostState.UNREACHABLE
    ready = make_host("on5")
    operations.mark_seen("on5", False, "timeout")
    operations.mark_seen("on5", True)
    assert ready.state == HostState.READY


def test_onboarding_reads_the_release_and_the_pending_security_updates(make_host, reachable):
    host, _ = onboarded(make_host, "on6")
    assert host.facts["release"] == "trixie" and host.facts["release_version"] == "13"
    assert host.facts["security_updates"] == 3
    assert host.security.release == "Debian 13 trixie"
    assert host.security.pending_updates == 3 and host.security.checked_at is not None


def test_testbed_up_sets_hosts_up_unless_told_not_to():
    options = {option.name: option for option in up.params}
    assert options["setup"].default is True
    result = CliRunner().invoke(up, ["--help"])
    assert "--setup / --no-setup" in result.output
