"""Webspaces without a worker: creation, placement, names, states through job outcomes,
limits, suspend, delete, restore and purge."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from webspace_jobs import fail, succeed

from panel.core.audit import AuditEntry, acting
from panel.core.models import utcnow
from panel.extensions import db
from panel.provisioning.models import Job, JobStatus
from panel.provisioning.operations import retry_job
from panel.webspaces import operations
from panel.webspaces.models import Webspace


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_member_creates_a_webspace_on_the_host_with_most_room(api_as, make_host):
    make_host("web1", capacity=10)
    make_host("web2", capacity=50)
    client, user = api_as("member")
    response = client.post("/api/v1/webspaces", json={})
    db.session.expire_all()
    assert response.status_code == 202, response.json
    prefix = user.member.prefix
    assert response.json["name"] == f"{prefix}00"
    assert response.json["host"] == "web2"
    assert response.json["state"] == "pending"
    job = db.session.get(Job, response.json["job_id"])
    assert job.action == "webspace" and job.playbook == "webspace.yml"
    assert job.hosts == ["web2"]
    assert job.extra_vars["webspace_name"] == f"{prefix}00"
    assert job.extra_vars["webspace_state"] == "active"
    assert job.member_id == user.member_id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "webspace.create"))
    assert entry.member_id == user.member_id

    second = client.post("/api/v1/webspaces", json={"name": f"{prefix}07"})
    assert second.status_code == 202
    assert second.json["name"] == f"{prefix}07"


def test_job_outcome_moves_the_webspace(api_as, web_host):
    client, user = api_as("member")
    webspace_id = client.post("/api/v1/webspaces", json={}).json["id"]
    webspace = db.session.get(Webspace, webspace_id)
    with acting("worker"):
        fail(webspace.last_job, "unreachable: web1: no route")
    assert webspace.state == "failed"
    assert "no route" in webspace.state_reason
    with acting("cli", user):
        retry = retry_job(webspace.last_job)
    assert webspace.state == "pending" and webspace.last_job_id == retry.id
    with acting("worker"):
        succeed(retry, {"webspace": {"uid": 2001, "quota_enforced": False}})
    assert webspace.state == "active"
    assert webspace.uid == 2001 and webspace.quota_enforced is False
    shown = client.get(f"/api/v1/webspaces/{webspace_id}").json
    assert shown["state"] == "active" and shown["uid"] == 2001


def test_an_older_jobs_late_end_changes_nothing(make_member, make_webspace):
    webspace = make_webspace(make_member())
    first_job = webspace.last_job
    with acting("cli"):
        operations.suspend_webspace(webspace)
    assert webspace.last_job_id != first_job.id
    with acting("worker"):
        from panel.webspaces.changes import ResourceOutcome

        ResourceOutcome(Webspace).finished(first_job)
    assert webspace.state == "pending"


@pytest.mark.parametrize(
    "name", ["abc", "zzz00", "ZZZ00", "00", "{p}0", "{p}000", "{p}0a", "{p} 00", "{p}00;rm"]
)
def test_bad_webspace_names_are_refused_and_nothing_is_written(api_as, web_host, name):
    client, user = api_as("member")
    name = name.format(p=user.member.prefix)
    before = (count(Webspace), count(Job))
    response = client.post("/api/v1/webspaces", json={"name": name})
    db.session.expire_all()
    assert response.status_code == 422, response.json
    assert "name" in response.json["error"]["fields"]
    assert (count(Webspace), count(Job)) == before


def test_members_may_not_choose_member_or_host(api_as, web_host, make_member):
    client, _ = api_as("member")
    other = make_member()
    for body in ({"member_id": other.id}, {"host": "web1"}):
        response = client.post("/api/v1/webspaces", json=body)
        db.session.expire_all()
        assert response.status_code == 422
    assert count(Webspace) == 0


def test_admin_creates_for_a_member_on_a_chosen_host(api_as, make_host, make_member):
    make_host("web1")
    make_host("web2", capacity=1000)
    member = make_member()
    client, _ = api_as("admin")
    missing = client.post("/api/v1/webspaces", json={})
    assert missing.status_code == 422 and "member_id" in missing.json["error"]["fields"]
    response = client.post("/api/v1/webspaces", json={"member_id": member.id, "host": "web1"})
    db.session.expire_all()
    assert response.status_code == 202
    assert response.json["host"] == "web1"
    unknown = client.post("/api/v1/webspaces", json={"member_id": member.id, "host": "nope"})
    assert unknown.status_code == 422


def test_no_host_with_room_is_a_clear_conflict(api_as, make_host):
    make_host("web1", capacity=1)
    make_host("web2", state="unreachable")
    client, _ = api_as("member")
    assert client.post("/api/v1/webspaces", json={}).status_code == 202
    before = count(Job)
    response = client.post("/api/v1/webspaces", json={})
    db.session.expire_all()
    assert response.status_code == 409
    assert "room" in response.json["error"]["message"]
    assert count(Job) == before


def test_one_change_at_a_time(make_member, web_host):
    with acting("cli"):
        webspace, _ = operations.create_webspace(make_member())
        with pytest.raises(operations.Conflict):
            operations.delete_webspace(webspace)


def test_suspend_is_for_admins_and_unsuspend_brings_it_back(api_as, make_member, make_webspace):
    member_client, user = api_as("member")
    webspace = make_webspace(user.member)
    refused = member_client.post(f"/api/v1/webspaces/{webspace.id}/suspend")
    db.session.expire_all()
    assert refused.status_code == 403
    admin, _ = api_as("admin")
    response = admin.post(f"/api/v1/webspaces/{webspace.id}/suspend")
    db.session.expire_all()
    assert response.status_code == 202
    assert webspace.last_job.extra_vars["webspace_state"] == "suspended"
    with acting("worker"):
        succeed(webspace.last_job)
    assert webspace.state == "suspended"
    assert admin.post(f"/api/v1/webspaces/{webspace.id}/suspend").status_code == 409
    response = admin.post(f"/api/v1/webspaces/{webspace.id}/unsuspend")
    db.session.expire_all()
    assert response.status_code == 202
    with acting("worker"):
        succeed(webspace.last_job)
    assert webspace.state == "active"


def test_delete_archives_restore_brings_back_purge_removes(api_as, make_webspace, app):
    client, user = api_as("member")
    webspace = make_webspace(user.member)
    response = client.delete(f"/api/v1/webspaces/{webspace.id}")
    db.session.expire_all()
    assert response.status_code == 202
    assert response.json["state"] == "deleting"
    assert webspace.last_job.extra_vars["webspace_state"] == "archived"
    with acting("worker"):
        succeed(webspace.last_job)
    assert webspace.state == "deleted"
    days = app.config["WEBSPACE_ARCHIVE_DAYS"]
    assert abs(webspace.purge_after - utcnow() - timedelta(days=days)) < timedelta(minutes=1)

    response = client.post(f"/api/v1/webspaces/{webspace.id}/restore")
    db.session.expire_all()
    assert response.status_code == 202
    assert webspace.last_job.extra_vars["webspace_state"] == "active"
    with acting("worker"):
        succeed(webspace.last_job)
    assert webspace.state == "active" and webspace.purge_after is None

    client.delete(f"/api/v1/webspaces/{webspace.id}")
    db.session.expire_all()
    with acting("worker"):
        succeed(webspace.last_job)
    assert client.post(f"/api/v1/webspaces/{webspace.id}/purge").status_code == 403
    webspace.purge_after = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with acting("worker"):
        purged = operations.purge_expired()
    assert purged == [webspace]
    assert webspace.last_job.extra_vars["webspace_state"] == "purged"
    with acting("worker"):
        succeed(webspace.last_job)
    assert webspace.state == "deleted" and webspace.purged_at is not None
    assert client.post(f"/api/v1/webspaces/{webspace.id}/restore").status_code == 409


def test_limits_are_for_admins_and_bounded(api_as, make_webspace):
    member_client, user = api_as("member")
    webspace = make_webspace(user.member)
    assert (
        member_client.patch(
            f"/api/v1/webspaces/{webspace.id}", json={"max_domains": 50}
        ).status_code
        == 403
    )
    admin, _ = api_as("admin")
    response = admin.patch(f"/api/v1/webspaces/{webspace.id}", json={"max_domains": 2})
    db.session.expire_all()
    assert response.status_code == 200 and response.json["max_domains"] == 2
    for body in ({"max_domains": -1}, {"quota_mib": 0}, {"max_users": "x"}, {"cpu": 1}):
        assert admin.patch(f"/api/v1/webspaces/{webspace.id}", json=body).status_code == 422
    assert webspace.max_domains == 2


def test_members_see_only_their_webspaces(api_as, make_member, make_webspace):
    client, user = api_as("member")
    own = make_webspace(user.member)
    other = make_webspace(make_member())
    listed = client.get("/api/v1/webspaces").json
    assert [row["id"] for row in listed] == [own.id]
    assert client.get(f"/api/v1/webspaces/{other.id}").status_code == 404
    assert client.delete(f"/api/v1/webspaces/{other.id}").status_code == 404
    assert other.state == "active"


def test_a_failed_job_leaves_the_webspace_failed_with_a_retry(make_member, web_host):
    with acting("cli"):
        webspace, job = operations.create_webspace(make_member())
        fail(job, "lost: worker w1 sent no heartbeat")
    assert webspace.state == "failed"
    assert job.status == JobStatus.FAILED
    assert "heartbeat" in webspace.state_reason


def test_housekeeping_purges_expired_archives_on_schedule(app, make_member, make_webspace):
    from panel.webspaces.tasks import run_housekeeping

    webspace = make_webspace(make_member())
    with acting("cli"):
        operations.delete_webspace(webspace)
        succeed(webspace.last_job)
    assert run_housekeeping()["webspaces purged"] == 0
    webspace.purge_after = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with acting("worker"):
        result = run_housekeeping()
    assert result["webspaces purged"] == 1
    assert webspace.desired == "purged"
    periodic = {task.name for task in app.extensions["queue"]._registry.periodic_tasks}
    assert "panel.webspaces.housekeeping" in periodic


def test_only_the_latest_job_of_a_webspace_can_be_retried(api_as, make_webspace):
    client, user = api_as("member")
    webspace = make_webspace(user.member)
    admin, _ = api_as("admin")
    admin.post(f"/api/v1/webspaces/{webspace.id}/suspend")
    db.session.expire_all()
    failed_suspend = webspace.last_job
    with acting("worker"):
        fail(failed_suspend)
    assert admin.post(f"/api/v1/webspaces/{webspace.id}/unsuspend").status_code == 202
    db.session.expire_all()
    with acting("worker"):
        succeed(webspace.last_job)
    response = client.post(f"/api/v1/jobs/{failed_suspend.id}/retry")
    assert response.status_code == 409
    assert "later change" in response.json["error"]["message"]


def test_a_suspended_webspace_comes_back_suspended_after_a_restore(api_as, make_webspace):
    client, user = api_as("member")
    webspace = make_webspace(user.member)
    admin, _ = api_as("admin")
    admin.post(f"/api/v1/webspaces/{webspace.id}/suspend")
    db.session.expire_all()
    with acting("worker"):
        succeed(webspace.last_job)
    assert client.delete(f"/api/v1/webspaces/{webspace.id}").status_code == 202
    db.session.expire_all()
    with acting("worker"):
        succeed(webspace.last_job)
    assert client.post(f"/api/v1/webspaces/{webspace.id}/restore").status_code == 202
    db.session.expire_all()
    assert webspace.last_job.extra_vars["webspace_state"] == "suspended"
    with acting("worker"):
        succeed(webspace.last_job)
    assert webspace.state == "suspended"


def test_a_new_quota_reaches_the_host(api_as, make_webspace):
    _, user = api_as("member")
    webspace = make_webspace(user.member)
    admin, _ = api_as("admin")
    jobs = count(Job)
    assert admin.patch(f"/api/v1/webspaces/{webspace.id}", json={"max_users": 2}).status_code == 200
    assert count(Job) == jobs
    response = admin.patch(f"/api/v1/webspaces/{webspace.id}", json={"quota_mib": 2048})
    assert response.status_code == 200
    db.session.expire_all()
    assert count(Job) == jobs + 1
    assert webspace.last_job.extra_vars["webspace_quota_soft_mib"] == 2048
    assert webspace.last_job.extra_vars["webspace_state"] == "active"


def test_a_busy_webspace_does_not_stop_the_purge_of_the_others(make_member, make_webspace):
    from panel.provisioning.operations import create_job

    busy, free = make_webspace(make_member()), make_webspace(make_member())
    with acting("cli"):
        for webspace in (busy, free):
            operations.delete_webspace(webspace)
            succeed(webspace.last_job)
            webspace.purge_after = utcnow() - timedelta(minutes=1)
        busy.last_job = create_job("ping", [busy.host.name])
        db.session.commit()
    with acting("worker"):
        assert operations.purge_expired() == [free]
    assert busy.desired == "archived" and free.desired == "purged"
