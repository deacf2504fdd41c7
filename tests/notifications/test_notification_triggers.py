"""Each event notifies once, where it happens, and its mail reaches a real SMTP server: failed
and lost jobs, hosts becoming unreachable, certificates, the usage collection, issued invoices,
members' failed resources, and a webspace that finds no reachable host."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from prometheus_support import free_port
from sqlalchemy import select
from webspace_jobs import fail, succeed

from panel.core.audit import acting
from panel.core.errors import Conflict
from panel.core.models import utcnow
from panel.extensions import db
from panel.hosts.models import HostState
from panel.hosts.operations import mark_seen
from panel.metering import ledger
from panel.metering.models import CollectionRun, RunStatus
from panel.notifications.models import Notification
from panel.provisioning.models import JobStatus
from panel.provisioning.operations import create_job, finish_job
from panel.provisioning.tasks import reap
from panel.webspaces import domains, operations, tls
from panel.webspaces.models import Domain


def notified(kind: str) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.id)
        )
    )


def mailed(mailbox, to: str) -> list[str]:
    return [mail["Subject"] for mail in mailbox.messages if mail["To"] == to]


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def test_a_failed_job_notifies_the_admins_once(admin, web_host, smtp_server):
    with acting("cli"):
        job = create_job("ping", [web_host.name])
        db.session.commit()
    with acting("worker"):
        assert finish_job(job, JobStatus.FAILED, reason="ssh: connection refused")
        # A second end of the same job (a racing reaper) changes nothing and tells nobody.
        assert not finish_job(job, JobStatus.LOST, reason="lost")
        db.session.commit()
    [notice] = notified("job_failed")
    assert notice.user_id == admin.id and notice.link == f"/jobs/{job.id}"
    assert "connection refused" in notice.body
    assert mailed(smtp_server, admin.email) == [f"Job {job.id} (ping) ended failed"]


def test_a_lost_job_notifies_the_admins(admin, web_host, app, smtp_server):
    with acting("cli"):
        job = create_job("ping", [web_host.name])
    job.status, job.heartbeat_at = JobStatus.RUNNING, utcnow() - timedelta(hours=1)
    db.session.commit()
    with acting("worker"):
        assert reap() == [job.id]
    assert mailed(smtp_server, admin.email) == [f"Job {job.id} (ping) ended lost"]


def test_a_successful_job_notifies_nobody(admin, web_host, smtp_server):
    with acting("cli"):
        job = create_job("ping", [web_host.name])
    with acting("worker"):
        succeed(job)
    assert notified("job_failed") == [] and smtp_server.messages == []


def test_a_host_becoming_unreachable_notifies_once(admin, web_host, smtp_server):
    with acting("worker"):
        mark_seen("web1", False, "ssh: no route to host")
        db.session.commit()
        mark_seen("web1", False, "ssh: no route to host")
        db.session.commit()
    assert web_host.state == HostState.UNREACHABLE
    [notice] = notified("host_unreachable")
    assert notice.link == f"/admin/hosts/{web_host.id}" and "no route" in notice.body
    assert mailed(smtp_server, admin.email) == ["Host web1 is unreachable"]


def test_a_mail_that_fails_keeps_the_change_that_caused_it(admin, web_host, mail_down):
    with acting("worker"):
        mark_seen("web1", False, "ssh: no route to host")
        db.session.commit()
    db.session.expire_all()
    assert web_host.state == HostState.UNREACHABLE
    assert [notice.user_id for notice in notified("host_unreachable")] == [admin.id]


def test_a_members_failed_webspace_notifies_the_member_not_other_members(
    make_member, make_webspace, smtp_server
):
    member, neighbour = make_member(), make_member()
    webspace = make_webspace(member)
    with acting("cli"):
        job = operations.delete_webspace(webspace)[1]
    with acting("worker"):
        fail(job, "web1: disk full")
    [notice] = notified("resource_failed")
    assert notice.user_id == member.users[0].id
    assert notice.link == f"/webspaces/{webspace.id}" and "disk full" in notice.body
    assert mailed(smtp_server, member.users[0].email) == [f"Webspace {webspace.name} failed"]
    assert mailed(smtp_server, neighbour.users[0].email) == []


def test_the_first_certificate_failure_notifies_the_admins_and_its_retries_do_not(
    admin, api_as, make_member, make_webspace, smtp_server
):
    client, _ = api_as(admin)
    webspace = make_webspace(make_member())
    answer = client.post(
        f"/api/v1/webspaces/{webspace.id}/domains", json={"name": "example.org", "tls": True}
    )
    domain = db.session.get(Domain, answer.json["id"])
    reason = "web1: Certbot failed to authenticate some domains"
    with acting("worker"):
        fail(domain.last_job, reason, {"domain": {"tls_error": reason}})
    # The backoff's retry fails the same way: record_failure runs again for it.
    retry = SimpleNamespace(stats={"data": {"domain": {"tls_error": reason}}})
    tls.record_failure(domain, retry)
    db.session.commit()
    assert domain.tls_failures == 2
    [notice] = notified("certificate_failed")
    assert notice.link == f"/webspaces/{webspace.id}" and "authenticate" in notice.body
    assert "No certificate for example.org" in mailed(smtp_server, admin.email)
    assert domains.retry_certificates() == []


def test_only_the_first_of_a_run_of_failed_collections_notifies(admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROMETHEUS_URL", f"http://127.0.0.1:{free_port()}")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with acting("worker"):
        assert ledger.collect(start, start + timedelta(hours=1)).status == RunStatus.FAILED
        ledger.collect(start, start + timedelta(hours=1))
    [notice] = notified("metering_failed")
    assert "did not answer" in notice.body and notice.link == "/admin/usage"
    # A collection that worked ends the run of failures: the next failure tells again.
    db.session.add(CollectionRun(period_start=start, period_end=start, status=RunStatus.COMPLETE))
    db.session.commit()
    with acting("worker"):
        ledger.collect(start, start + timedelta(hours=1))
    assert len(notified("metering_failed")) == 2


def test_no_reachable_webspace_host_is_said_plainly_and_told_the_admins_once(
    admin, make_member, make_host, smtp_server
):
    make_host("web1", state=HostState.UNREACHABLE)
    member = make_member()
    for _ in range(2):
        with acting("web", member.users[0]), pytest.raises(Conflict) as refused:
            operations.create_webspace(member)
        assert "No webspace host is reachable" in str(refused.value.message)
    assert len(notified("no_webspace_host")) == 1
    assert mailed(smtp_server, admin.email) == ["No webspace host is ready"]


def test_full_webspace_hosts_say_so_and_tell_nobody(admin, make_member, make_host):
    make_host("web1", capacity=1)
    with acting("cli"):
        operations.create_webspace(make_member())
        with pytest.raises(Conflict) as refused:
            operations.create_webspace(make_member())
    assert "has room" in str(refused.value.message)
    assert notified("no_webspace_host") == []
