"""A member ends its video service: refused while it has rooms; BBBLB keeps the tenant,
disabled; the member may then leave the cooperative, or set video up again with a new secret."""

import re

import pytest
from sqlalchemy import func, select
from video_support import settle

from panel.coop.notices import give_membership_notice
from panel.core.audit import AuditEntry, acting
from panel.core.errors import Conflict
from panel.extensions import db
from panel.provisioning.models import Job
from panel.video import cluster, rooms
from panel.video import operations as video
from panel.video.models import SyncState, VideoTenant


def jobs() -> int:
    return db.session.scalar(select(func.count()).select_from(Job))


def actions(tenant: VideoTenant) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "VideoTenant", AuditEntry.object_id == str(tenant.id))
            .order_by(AuditEntry.id)
        )
    )


def told(tenant: VideoTenant) -> dict:
    """What the next state job tells BBBLB of the tenant."""
    return cluster.cluster_state([])["bbblb_tenants"][tenant.name]


def room_of(member, name: str = "Plenum"):
    with acting("cli", member.user):
        return rooms.create_room(member.user.member, {"name": name})


def end(member) -> Job:
    with acting("cli", member.user):
        return video.end_tenant(member.tenant)


def test_ending_is_refused_while_the_member_has_rooms(video_member):
    member = video_member()
    room_of(member, "Vorstand")
    room_of(member, "Beirat")
    before = jobs()
    with pytest.raises(Conflict) as refused:
        end(member)
    assert str(refused.value.message) == (
        "Delete these rooms before ending the video service: Beirat, Vorstand."
    )
    db.session.refresh(member.tenant)
    assert member.tenant.ended_at is None and told(member.tenant)["enabled"] is True
    assert jobs() == before
    assert "video_tenant.end" not in actions(member.tenant)


def test_ending_keeps_the_tenant_on_bbblb_disabled(video_member):
    member = video_member()
    room = room_of(member)
    with acting("cli", member.user):
        rooms.delete_room(room)
    job = end(member)
    db.session.refresh(member.tenant)
    assert member.tenant.ended_at is not None
    assert member.tenant.state == SyncState.PENDING and member.tenant.last_job_id == job.id
    assert job.action == "bbblb-state"
    assert member.secret not in str(job.extra_vars) and not job.secret_vars
    assert told(member.tenant) == {
        "realm": member.tenant.realm,
        "secret": member.secret,
        "enabled": False,
        "overrides": {"create": {}, "join": {}},
    }
    assert actions(member.tenant)[-1] == "video_tenant.end"
    settle(job)
    db.session.refresh(member.tenant)
    assert member.tenant.state == SyncState.ACTIVE


def test_an_ended_tenant_takes_no_rooms_no_new_secret_and_no_second_end(video_member):
    member = video_member()
    settle(end(member))
    before = jobs()
    for change in (
        lambda: rooms.create_room(member.user.member, {"name": "Plenum"}),
        lambda: video.rotate_secret(member.tenant),
        lambda: video.end_tenant(member.tenant),
    ):
        with acting("cli", member.user), pytest.raises(Conflict, match="has ended"):
            change()
    assert jobs() == before
    assert db.session.scalar(select(func.count()).select_from(rooms.Room)) == 0


def test_setting_video_up_again_reopens_the_tenant_with_a_new_secret(video_member):
    member = video_member()
    settle(end(member))
    with acting("cli", member.user):
        tenant, secret, job = video.create_tenant(member.user.member)
    assert tenant.id == member.tenant.id
    assert db.session.scalar(select(func.count()).select_from(VideoTenant)) == 1
    assert tenant.ended_at is None and tenant.last_job_id == job.id
    assert secret != member.secret and len(secret) == 40
    assert told(tenant)["enabled"] is True and told(tenant)["secret"] == secret
    assert actions(tenant)[-1] == "video_tenant.reopen"
    with acting("cli", member.user), pytest.raises(Conflict, match="already"):
        video.create_tenant(member.user.member)


def test_a_member_may_leave_once_its_tenant_ended(video_member):
    member = video_member()
    with acting("cli"), pytest.raises(Conflict, match="Video tenant"):
        give_membership_notice(member.user.member)
    settle(end(member))
    with acting("cli"):
        notice = give_membership_notice(member.user.member)
    assert notice.leaving and member.user.member.status == "cancelled"


def test_the_api_ends_the_members_own_tenant(video_member, api_as):
    member = video_member()
    api, _ = api_as(member.user)
    answer = api.delete("/api/v1/video/tenant")
    assert answer.status_code == 202, answer.json
    body = answer.json
    job = db.session.get(Job, body["job_id"])
    assert job.action == "bbblb-state"
    assert body["id"] == member.tenant.id and body["ended_at"] and "secret" not in body
    assert api.get("/api/v1/video/tenant").json["ended_at"] == body["ended_at"]
    settle(job)
    again = api.post("/api/v1/video/tenant")
    assert again.status_code == 202, again.json
    assert again.json["ended_at"] is None and again.json["secret"] != member.secret


def test_the_api_refuses_to_end_a_tenant_with_rooms(video_member, api_as):
    member = video_member()
    room_of(member, "Vorstand")
    api, _ = api_as(member.user)
    before = jobs()
    answer = api.delete("/api/v1/video/tenant")
    assert answer.status_code == 409
    assert "Vorstand" in answer.json["error"]["message"]
    assert api.get("/api/v1/video/tenant").json["ended_at"] is None
    assert jobs() == before


def test_a_member_ends_only_its_own_tenant(video_member, api_as):
    member, neighbour = video_member(), video_member()
    stranger, _ = api_as("member")
    assert stranger.delete("/api/v1/video/tenant").status_code == 404
    admin, _ = api_as("admin")
    assert admin.delete("/api/v1/video/tenant").status_code == 403
    api, _ = api_as(neighbour.user)
    assert api.delete("/api/v1/video/tenant").status_code == 202
    db.session.refresh(member.tenant)
    db.session.refresh(neighbour.tenant)
    assert member.tenant.ended_at is None and neighbour.tenant.ended_at is not None
    assert told(member.tenant)["enabled"] is True


def test_the_openapi_document_has_the_end(client):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/video/tenant"]["delete"]
    assert set(operation["responses"]) >= {"202", "404", "409"}
    links = operation["responses"]["202"]["links"]
    assert "get_jobs_job_id" in links and "post_video_tenant" in links
    made = document["paths"]["/api/v1/video/tenant"]["post"]["responses"]["202"]["links"]
    assert "delete_video_tenant" in made


CONFIRM = re.compile(r'action="/video/tenant/end"[^>]*data-confirm="([^"]+)"')


def test_the_member_ends_its_service_on_the_video_page(video_member, login_as):
    member = video_member()
    client, _ = login_as(member.user)
    page = client.get("/video").text
    (question,) = CONFIRM.findall(page)
    assert "API endpoint and secret stop working" in question
    assert 'class="danger">End the video service</button>' in page
    room = room_of(member, "Vorstand")
    refused = client.post("/video/tenant/end", follow_redirects=True).text
    assert "Delete these rooms before ending the video service: Vorstand." in refused
    with acting("cli", member.user):
        rooms.delete_room(room)
    ended = client.post("/video/tenant/end", follow_redirects=True).text
    assert "The video service is ending." in ended
    assert "no longer work" in ended and 'class="state state-ended"' in ended
    assert 'action="/video/tenant"' in ended and "Set up video again" in ended
    assert "/video/tenant/end" not in ended and "Create room" not in ended
    db.session.refresh(member.tenant)
    assert member.tenant.ended_at is not None


def test_the_ended_service_reads_in_german(video_member, login_as):
    member = video_member()
    client, _ = login_as(member.user)
    with client.session_transaction() as session:
        session["lang"] = "de"
    page = client.get("/video").text
    assert "Videodienst beenden" in page
    settle(end(member))
    page = client.get("/video").text
    assert "Videodienst erneut einrichten" in page
    assert "API-Endpunkt und Ihr Secret funktionieren nicht mehr" in page


def row_after(page: str, marker: str) -> str:
    """The rest of the table row in PAGE that MARKER starts."""
    return page.split(marker)[1].split("</tr>")[0]


def test_admins_see_ended_tenants_as_ended(video_member, login_as, api_as):
    open_member, ended_member = video_member(), video_member()
    settle(end(ended_member))
    client, _ = login_as("admin")
    cluster_page = client.get("/video/admin").text
    usage_page = client.get("/usage").text
    for member, ended in ((open_member, False), (ended_member, True)):
        tenant = member.tenant
        assert ("state-ended" in row_after(cluster_page, f"<code>{tenant.realm}</code>")) is ended
        assert ("state-ended" in row_after(usage_page, f'id="video-tenant-{tenant.id}"')) is ended
    admin, _ = api_as("admin")
    listed = {t["realm"]: t["ended_at"] for t in admin.get("/api/v1/video/tenants").json}
    assert listed[open_member.tenant.realm] is None and listed[ended_member.tenant.realm]
