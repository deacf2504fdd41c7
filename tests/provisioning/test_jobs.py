"""Jobs without a worker: creation, validation, cancel, retry, locks, the reaper, metrics."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from panel.core.audit import AuditEntry, acting
from panel.core.errors import Conflict, ValidationFailed
from panel.core.models import utcnow
from panel.extensions import db
from panel.provisioning import operations
from panel.provisioning.models import HostLock, Job, JobStatus
from panel.provisioning.runner import Outcome, claim
from panel.provisioning.tasks import reap


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_api_maintenance_job_is_queued_with_audit(api_as, make_host):
    make_host("web1", ["eu"])
    make_host("web2", ["eu"])
    client, admin = api_as("admin")
    response = client.post("/api/v1/jobs", json={"action": "ping", "hosts": ["eu"]})
    assert response.status_code == 202
    job = db.session.get(Job, response.json["id"])
    assert job.status == JobStatus.QUEUED
    assert job.hosts == ["web1", "web2"]
    assert job.requested_by_id == admin.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "job.create"))
    assert entry.source == "api" and entry.object_id == str(job.id)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"action": "rm -rf", "hosts": ["web1"]}, "action"),
        ({"action": "ping", "hosts": ["nope"]}, "hosts"),
        ({"action": "ping", "hosts": []}, "hosts"),
        ({"action": "ping", "hosts": "web1"}, "hosts"),
        ({"action": "ping"}, "hosts"),
        ({"action": "ping", "hosts": ["web1"], "extra": 1}, "extra"),
    ],
)
def test_bad_job_requests_change_nothing(api_as, make_host, payload, field):
    make_host("web1")
    client, _ = api_as("admin")
    before = count(Job)
    response = client.post("/api/v1/jobs", json=payload)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert count(Job) == before


def test_members_may_not_run_maintenance(api_as, make_host):
    make_host("web1")
    client, _ = api_as("member")
    assert (
        client.post("/api/v1/jobs", json={"action": "ping", "hosts": ["web1"]}).status_code == 403
    )
    assert count(Job) == 0


def test_retired_hosts_are_not_targets(make_host):
    make_host("old", state="retired")
    with pytest.raises(ValidationFailed), acting("cli"):
        operations.run_maintenance("ping", ["old"])


def _job(hosts, status=JobStatus.QUEUED, **fields) -> Job:
    with acting("cli"):
        job = operations.create_job("ping", hosts)
    job.status = status
    for name, value in fields.items():
        setattr(job, name, value)
    db.session.commit()
    return job


def test_cancel_queued_job_ends_it_and_cancel_twice_conflicts(make_host):
    make_host("web1")
    job = _job(["web1"])
    with acting("cli"):
        operations.cancel_job(job)
        assert job.status == JobStatus.CANCELED and job.finished_at is not None
        with pytest.raises(Conflict):
            operations.cancel_job(job)


def test_cancel_running_job_sets_the_flag_for_its_worker(make_host):
    make_host("web1")
    job = _job(["web1"], JobStatus.RUNNING, started_at=utcnow(), heartbeat_at=utcnow())
    with acting("cli"):
        operations.cancel_job(job)
    assert job.status == JobStatus.RUNNING and job.cancel_requested


def test_retry_links_a_new_job_and_only_for_unsuccessful_ones(make_host):
    make_host("web1")
    failed = _job(["web1"], JobStatus.FAILED, reason="boom")
    with acting("cli"):
        retry = operations.retry_job(failed)
    assert retry.retry_of_id == failed.id and retry.status == JobStatus.QUEUED
    assert retry.hosts == failed.hosts and retry.action == failed.action
    done = _job(["web1"], JobStatus.SUCCESSFUL)
    with pytest.raises(Conflict), acting("cli"):
        operations.retry_job(done)


def test_changes_to_one_host_are_serialized_other_hosts_run(make_host):
    make_host("web1")
    make_host("web2")
    first, second, other = _job(["web1"]), _job(["web1", "web2"]), _job(["web2"])
    with acting("worker"):
        assert claim(first.id, "w:1") == Outcome.DONE
        assert claim(second.id, "w:1") == Outcome.LOCKED
        assert claim(other.id, "w:1") == Outcome.DONE
        assert claim(first.id, "w:1") == Outcome.SKIPPED
    db.session.refresh(second)
    assert second.status == JobStatus.QUEUED
    assert {lock.host for lock in db.session.scalars(select(HostLock))} == {"web1", "web2"}
    with acting("worker"):
        operations.finish_job(db.session.get(Job, first.id), JobStatus.SUCCESSFUL)
        db.session.commit()
        assert claim(second.id, "w:1") == Outcome.LOCKED  # web2 is still busy
        operations.finish_job(db.session.get(Job, other.id), JobStatus.SUCCESSFUL)
        db.session.commit()
        assert claim(second.id, "w:1") == Outcome.DONE


def test_reaper_marks_silent_jobs_lost_and_frees_their_hosts(app, make_host):
    make_host("web1")
    make_host("web2")
    stale = _job(["web1"])
    fresh = _job(["web2"])
    with acting("worker"):
        claim(stale.id, "dead:1")
        claim(fresh.id, "alive:1")
    old = utcnow() - timedelta(seconds=app.config["JOB_LOST_AFTER"] + 5)
    db.session.get(Job, stale.id).heartbeat_at = old
    db.session.commit()
    with acting("worker"):
        assert reap() == [stale.id]
        assert reap() == []
    stale = db.session.get(Job, stale.id, populate_existing=True)
    assert stale.status == JobStatus.LOST
    assert "dead:1" in stale.reason and "retry" in stale.reason
    assert db.session.get(Job, fresh.id).status == JobStatus.RUNNING
    assert [lock.host for lock in db.session.scalars(select(HostLock))] == ["web2"]


def test_a_finish_race_has_exactly_one_winner(make_host):
    make_host("web1")
    job = _job(["web1"], JobStatus.RUNNING, started_at=utcnow(), heartbeat_at=utcnow())
    with acting("worker"):
        assert operations.finish_job(job, JobStatus.SUCCESSFUL)
        assert not operations.finish_job(job, JobStatus.LOST)
    db.session.commit()
    assert job.status == JobStatus.SUCCESSFUL
    finishes = db.session.scalar(
        select(func.count()).where(
            AuditEntry.action.like("job.%"), AuditEntry.action != "job.create"
        )
    )
    assert finishes == 1


def test_job_metrics(client, make_host):
    make_host("web1")
    _job(["web1"])
    _job(
        ["web1"], JobStatus.FAILED, started_at=utcnow() - timedelta(seconds=3), finished_at=utcnow()
    )
    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert 'panel_jobs{action="ping",status="queued"} 1.0' in text
    assert 'panel_jobs{action="ping",status="failed"} 1.0' in text
    assert "panel_queue_depth 1.0" in text
    assert 'panel_job_duration_seconds_bucket{le="5"} 1.0' in text
    assert 'panel_job_duration_seconds_bucket{le="2"} 0.0' in text
    assert "panel_oldest_queued_job_age_seconds" in text


def test_a_successful_ping_refreshes_the_host_facts(make_host):
    host = make_host("web1")
    host.facts = {"os": "Debian 11", "cpus": 1}
    db.session.commit()
    reported = {
        "web1": {
            "os": "Debian 12.8 (bookworm)",
            "cpus": "4",
            "memory_bytes": 8 * 2**30,
            "disk_bytes": "not a number",
        },
        "elsewhere": {"os": "ignored"},
    }
    with acting("cli"):
        job = operations.create_job("ping", ["web1"])
        operations.finish_job(job, JobStatus.SUCCESSFUL, stats={"data": {"hosts": reported}})
        db.session.commit()
    assert host.facts == {"os": "Debian 12.8 (bookworm)", "cpus": 4, "memory_bytes": 8 * 2**30}
    with acting("cli"):
        failed = operations.create_job("ping", ["web1"])
        operations.finish_job(
            failed, JobStatus.FAILED, stats={"data": {"hosts": {"web1": {"cpus": 64}}}}
        )
        db.session.commit()
    assert host.facts["cpus"] == 4
