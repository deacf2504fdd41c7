"""A member's BBBLB tenant: made once with a secret shown once, rotated, limited by admins, and
told to BBBLB by a state job that carries every secret only while it runs."""

import pytest
from sqlalchemy import func, select, text
from video_support import DOMAIN, settle

from panel.core.audit import acting
from panel.core.errors import Conflict, ValidationFailed
from panel.extensions import db
from panel.provisioning.models import Job
from panel.video import cluster
from panel.video import operations as video
from panel.video.models import SyncState, VideoTenant


def tenants() -> int:
    return db.session.scalar(select(func.count()).select_from(VideoTenant))


def test_a_member_gets_a_tenant_under_the_cooperatives_zone(balancer, api_as):
    api, user = api_as("member")
    answer = api.post("/api/v1/video/tenant")
    assert answer.status_code == 202, answer.json
    body = answer.json
    prefix = user.member.prefix
    assert body["realm"] == f"{prefix}.{DOMAIN}"
    assert body["endpoint"] == f"https://{prefix}.{DOMAIN}/bigbluebutton/api/"
    assert body["state"] == "pending" and body["job_id"]
    assert len(body["secret"]) == 40
    shown = api.get("/api/v1/video/tenant").json
    assert shown["realm"] == body["realm"] and "secret" not in shown
    job = db.session.get(Job, body["job_id"])
    assert job.action == "bbblb-state" and job.hosts == [balancer.name]
    # The job keeps no secret: its variables are made when it runs.
    assert body["secret"] not in str(job.extra_vars) and not job.secret_vars


def test_the_secret_is_encrypted_at_rest(video_member):
    member = video_member()
    stored = db.session.execute(
        text("SELECT secret FROM video_tenants WHERE id = :id"), {"id": member.tenant.id}
    ).scalar_one()
    assert member.secret not in stored
    assert member.tenant.secret == member.secret


def test_a_second_tenant_and_one_without_video_set_up_are_refused(balancer, app, api_as):
    api, _ = api_as("member")
    assert api.post("/api/v1/video/tenant").status_code == 202
    again = api.post("/api/v1/video/tenant")
    assert again.status_code == 409
    assert tenants() == 1
    app.config["VIDEO_DOMAIN"] = ""
    other, _ = api_as("member")
    refused = other.post("/api/v1/video/tenant")
    assert refused.status_code == 409
    assert "PANEL_VIDEO_DOMAIN" in refused.json["error"]["message"]
    assert tenants() == 1


def test_without_a_ready_balancer_no_tenant_is_made(app, monkeypatch, api_as):
    monkeypatch.setitem(app.config, "VIDEO_DOMAIN", DOMAIN)
    api, _ = api_as("member")
    answer = api.post("/api/v1/video/tenant")
    assert answer.status_code == 409
    assert "bbb-lb" in answer.json["error"]["message"]
    assert tenants() == 0


def test_the_state_job_gives_bbblb_every_tenant_and_server_when_it_runs(video_member):
    first, second = video_member(), video_member()
    with acting("cli"):
        video.add_server("bbb1.example.org:8443", "serversecret0123456789")
    state = cluster.cluster_state([])
    assert state["bbblb_servers"] == {
        "bbb1.example.org:8443": {"secret": "serversecret0123456789", "enabled": True}
    }
    assert state["bbblb_tenants"][first.tenant.name] == {
        "realm": first.tenant.realm,
        "secret": first.secret,
        "enabled": True,
        "overrides": {"create": {}, "join": {}},
    }
    assert second.tenant.name in state["bbblb_tenants"]


def test_rotation_makes_a_new_secret_and_the_old_stops(video_member, api_as):
    member = video_member()
    api, _ = api_as(member.user)
    answer = api.post("/api/v1/video/tenant/rotate")
    assert answer.status_code == 202
    new = answer.json["secret"]
    assert new != member.secret
    db.session.refresh(member.tenant)
    assert member.tenant.secret == new and member.tenant.state == SyncState.PENDING
    assert cluster.cluster_state([])["bbblb_tenants"][member.tenant.name]["secret"] == new
    # One change at a time: the rotation's job has not ended yet.
    assert api.post("/api/v1/video/tenant/rotate").status_code == 409


def test_admins_set_limits_that_become_bbblbs_overrides(video_member, api_as):
    member = video_member()
    admin, _ = api_as("admin")
    url = f"/api/v1/video/tenants/{member.tenant.id}/limits"
    limits = {"max_participants": 25, "max_duration_minutes": 90, "recording_allowed": False}
    answer = admin.put(url, json=limits)
    assert answer.status_code == 202, answer.json
    db.session.refresh(member.tenant)
    assert cluster.tenant_overrides(member.tenant) == {
        "create": {
            "maxParticipants": "<25",
            "duration": "<90",
            "record": "=false",
            "autoStartRecording": "=false",
            "allowStartStopRecording": "=false",
        },
        "join": {},
    }
    mine, _ = api_as(member.user)
    assert mine.put(url, json=limits).status_code == 403


@pytest.mark.parametrize(
    "limits",
    [
        {"max_participants": 0, "max_duration_minutes": None, "recording_allowed": True},
        {"max_participants": 10**9, "max_duration_minutes": None, "recording_allowed": True},
        {"max_participants": "ten", "max_duration_minutes": None, "recording_allowed": True},
        {"max_participants": None, "max_duration_minutes": -5, "recording_allowed": True},
        {"max_participants": None, "max_duration_minutes": None, "recording_allowed": "yes"},
    ],
)
def test_bad_limits_are_refused_and_change_nothing(video_member, api_as, limits):
    member = video_member()
    admin, _ = api_as("admin")
    before = db.session.scalar(select(func.count()).select_from(Job))
    answer = admin.put(f"/api/v1/video/tenants/{member.tenant.id}/limits", json=limits)
    assert answer.status_code == 422
    assert answer.json["error"]["fields"]
    db.session.refresh(member.tenant)
    assert member.tenant.max_participants is None and member.tenant.recording_allowed
    assert db.session.scalar(select(func.count()).select_from(Job)) == before


def test_a_failed_state_job_leaves_the_tenant_failed_with_its_reason(balancer, make_user):
    user = make_user("member")
    with acting("cli", user):
        tenant, _, job = video.create_tenant(user.member)
    settle(job, "failed")
    db.session.refresh(tenant)
    assert tenant.state == SyncState.FAILED and tenant.state_reason


@pytest.mark.parametrize(
    ("domain", "secret", "field"),
    [
        ("", "serversecret0123456789", "domain"),
        ("bbb1.example.org:99999", "serversecret0123456789", "domain"),
        ("bbb 1.example.org", "serversecret0123456789", "domain"),
        ("bbb1.example.org/path", "serversecret0123456789", "domain"),
        ("bbb1.example.org", "short", "secret"),
        ("bbb1.example.org", "with spaces in it 0123", "secret"),
    ],
)
def test_bad_servers_are_refused(balancer, domain, secret, field):
    with acting("cli"), pytest.raises(ValidationFailed) as refused:
        video.add_server(domain, secret)
    assert field in refused.value.fields


def test_cordon_enable_and_panic_tell_bbblb(balancer):
    with acting("cli"):
        server, job = video.add_server("198.18.8.1:8443", "serversecret0123456789")
    settle(job)
    with acting("cli"):
        cordon = video.set_server_enabled(server, False)
    assert cordon.action == "bbblb-state"
    assert cluster.cluster_state([])["bbblb_servers"]["198.18.8.1:8443"]["enabled"] is False
    with acting("cli"), pytest.raises(Conflict):
        video.set_server_enabled(server, True)
    settle(cordon)
    with acting("cli"):
        panic = video.panic_server(server)
    assert panic.action == "bbblb-panic"
    assert panic.extra_vars["bbblb_panic_server"] == "198.18.8.1:8443"
    assert server.enabled is False
    settle(panic)
    with acting("cli"):
        enable = video.set_server_enabled(server, True)
    # A plain state job: the panic made bbblb-state.yml import in full (tests/video's testbed
    # tests show BBBLB takes it).
    assert enable.action == "bbblb-state" and enable.extra_vars == {}


def test_bigbluebutton_is_installed_with_a_secret_the_panel_made(balancer, make_host, api_as):
    host = make_host("bbb1.video.test")
    host.role = "bbb"
    db.session.commit()
    admin, _ = api_as("admin")
    answer = admin.post("/api/v1/video/servers/install", json={"host": host.name})
    assert answer.status_code == 202, answer.json
    server = db.session.get(video.BbbServer, answer.json["id"])
    assert server.domain == "bbb1.video.test" and server.host_id == host.id
    jobs = db.session.scalars(select(Job).order_by(Job.id)).all()[-2:]
    assert [job.action for job in jobs] == ["bbblb-state", "bbb-server"]
    install = jobs[1]
    assert install.hosts == [host.name] and server.last_job_id == install.id
    assert server.secret not in str(install.extra_vars)
    assert server.secret in install.secret_vars
    assert cluster.cluster_state([])["bbblb_servers"]["bbb1.video.test"]["secret"] == server.secret
    settle(install)
    db.session.refresh(server)
    assert server.state == SyncState.ACTIVE
    again = admin.post("/api/v1/video/servers/install", json={"host": host.name})
    assert again.status_code == 409


def test_bigbluebutton_goes_on_a_bbb_host_only(balancer, api_as):
    admin, _ = api_as("admin")
    answer = admin.post("/api/v1/video/servers/install", json={"host": balancer.name})
    assert answer.status_code == 409
    assert admin.post("/api/v1/video/servers/install", json={"host": "nope"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(video.BbbServer)) == 0


def test_a_failed_tenant_reads_plainly_to_its_member(balancer, make_user, login_as):
    user = make_user("member")
    with acting("cli", user):
        tenant, _, job = video.create_tenant(user.member)
    settle(job, "failed")
    page = login_as(user)[0].get("/video").text
    assert "The last change failed." in page and f'action="/jobs/{job.id}/retry"' in page
    assert tenant.state_reason not in page
