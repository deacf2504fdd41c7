"""A room's recordings (listed, published, protected, deleted: only the room's own), and the
video pages: a member's tenant and rooms, a room's page, the admins' cluster page. The BBB API
is the BigBlueButton test double (bbb_double.py), not BBBLB."""

import re

import requests
from sqlalchemy import func, select
from video_support import serve

from panel.core.audit import acting
from panel.extensions import db
from panel.video import meetings, rooms
from panel.video import operations as video
from panel.video.models import Room, VideoTenant


def ended_with_recording(double, room, member, participants=3, minutes=42):
    with acting("cli", member.user):
        requests.get(meetings.start(room, "Owner"), timeout=10)
    double.meetings[room.meeting_id].end_time = 1
    double.ended.append(double.meetings.pop(room.meeting_id))
    return double.add_recording(
        room.meeting_id, participants=participants, duration_ms=minutes * 60_000
    )


def room_of(member, **values) -> Room:
    with acting("cli", member.user):
        return rooms.create_room(member.user.member, {"name": "Plenum", **values})


def test_recordings_are_listed_changed_and_deleted(video_member, double, api_as):
    member = video_member()
    serve(double, member.tenant)
    room = room_of(member, record=True)
    recording = ended_with_recording(double, room, member)
    api, _ = api_as(member.user)
    listed = api.get(f"/api/v1/rooms/{room.id}/recordings").json
    assert [(r["record_id"], r["participants"], r["duration_minutes"]) for r in listed] == [
        (recording.record_id, 3, 42)
    ]
    assert listed[0]["published"] is True and listed[0]["playback_url"]
    url = f"/api/v1/rooms/{room.id}/recordings"
    for action in ("unpublish", "protect"):
        answer = api.post(url, json={"record_id": recording.record_id, "action": action})
        assert answer.status_code == 204, answer.json
    changed = api.get(url).json[0]
    assert changed["published"] is False and changed["protected"] is True
    assert (
        api.post(url, json={"record_id": recording.record_id, "action": "delete"}).status_code
        == 204
    )
    assert api.get(url).json == []


def test_another_rooms_recording_is_not_found_and_bad_actions_refused(video_member, double, api_as):
    member = video_member()
    serve(double, member.tenant)
    mine, theirs = room_of(member, slug="mine"), room_of(member, slug="theirs")
    recording = ended_with_recording(double, theirs, member)
    api, _ = api_as(member.user)
    url = f"/api/v1/rooms/{mine.id}/recordings"
    other = api.post(url, json={"record_id": recording.record_id, "action": "delete"})
    assert other.status_code == 404
    bad = api.post(url, json={"record_id": recording.record_id, "action": "burn"})
    assert bad.status_code == 422
    assert recording.record_id in double.recordings
    stranger, _ = api_as("member")
    assert stranger.get(f"/api/v1/rooms/{theirs.id}/recordings").status_code == 404


def test_the_tenant_page_shows_the_secret_once(balancer, login_as):
    client, _ = login_as("member")
    page = client.get("/video")
    assert page.status_code == 200 and b"Set up video" in page.data
    made = client.post("/video/tenant")
    assert made.status_code == 200
    tenant = db.session.scalar(select(VideoTenant))
    assert tenant.secret.encode() in made.data
    again = client.get("/video")
    assert tenant.realm.encode() in again.data and tenant.secret.encode() not in again.data


def test_a_room_made_on_the_page_and_bad_input_shown_on_the_form(video_member, login_as):
    member = video_member()
    client, _ = login_as(member.user)
    bad = client.post("/video/rooms", data={"name": "Plenum", "slug": "x"})
    assert bad.status_code == 422 and b"3 to 64 small letters" in bad.data
    assert db.session.scalar(select(func.count()).select_from(Room)) == 0
    made = client.post("/video/rooms", data={"name": "Plenum", "viewer_code": "gast2026"})
    assert made.status_code == 302
    page = client.get(made.headers["Location"])
    assert page.status_code == 200
    assert b"/r/plenum" in page.data and b"gast2026" in page.data


def test_the_room_page_lists_its_recordings(video_member, double, login_as):
    member = video_member()
    serve(double, member.tenant)
    room = room_of(member)
    recording = ended_with_recording(double, room, member, participants=5, minutes=12)
    client, _ = login_as(member.user)
    page = client.get(f"/video/rooms/{room.id}").data.decode()
    assert recording.record_id in page and "12 min" in page
    changed = client.post(
        f"/video/rooms/{room.id}/recordings/unpublish", data={"record_id": recording.record_id}
    )
    assert changed.status_code == 302
    assert double.recordings[recording.record_id].state == "unpublished"


def test_the_admins_page_shows_each_servers_own_view(balancer, double, login_as):
    double.secret = "serversecret0123456789"
    with acting("cli"):
        video.add_server(f"127.0.0.1:{double.port}", double.secret)
        video.add_server("127.0.0.1:9", "serversecret0123456789")
    # The status asks each server itself over HTTPS; this double speaks HTTP.
    client, _ = login_as("admin")
    page = client.get("/video/admin").data.decode()
    assert page.count("127.0.0.1:") >= 2
    assert re.search(r"<td>no <span class=\"muted\">", page)
