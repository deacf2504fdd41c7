"""Rooms: made, changed, shared and removed by their owner; started by the owner and those it
is shared with; joined by guests through the room's public page. The BBB API behind the panel
is the BigBlueButton test double (bbb_double.py), not BBBLB: test_video_testbed.py has the same
journey through a real BBBLB."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select
from video_support import serve, settle

from panel.core.audit import acting
from panel.extensions import db
from panel.video import meetings, rooms
from panel.video import operations as video
from panel.video.models import Room, RoomShare


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def joined(url: str) -> dict:
    """Open a join URL as a browser does; the query the double was asked with."""
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def room_of(member, **values) -> Room:
    with acting("cli", member.user):
        return rooms.create_room(member.user.member, {"name": "Plenum", **values})


def test_a_room_gets_a_friendly_address_and_a_hidden_meeting_id(video_member, api_as):
    member = video_member()
    api, _ = api_as(member.user)
    answer = api.post("/api/v1/rooms", json={"name": "Vorstand & Beirat – Sitzung"})
    assert answer.status_code == 201, answer.json
    room = db.session.get(Room, answer.json["id"])
    assert room.slug == "vorstand-beirat-sitzung"
    assert answer.json["url"].endswith("/r/vorstand-beirat-sitzung")
    assert len(room.meeting_id) == 32 and room.meeting_id not in answer.json["url"]
    assert "meeting_id" not in answer.json


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Ok", "slug": "-bad-"}, "slug"),
        ({"name": "Ok", "slug": "Ab"}, "slug"),
        ({"name": "Ok", "slug": "admin"}, "slug"),
        ({"name": "Ok", "slug": "a--b"}, "slug"),
        ({"name": "Ok", "viewer_code": "12"}, "viewer_code"),
        ({"name": "Ok", "moderator_code": "with space"}, "moderator_code"),
        ({"name": "Ok", "viewer_code": "same1", "moderator_code": "same1"}, "moderator_code"),
        ({"name": "Ok", "max_participants": 0}, "max_participants"),
        ({"name": "Ok", "max_participants": 5000}, "max_participants"),
    ],
)
def test_bad_rooms_are_refused_and_change_nothing(video_member, api_as, values, field):
    member = video_member()
    api, _ = api_as(member.user)
    answer = api.post("/api/v1/rooms", json=values)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["error"]["fields"]
    assert count(Room) == 0


def test_a_taken_address_is_refused(video_member, api_as):
    first, second = video_member(), video_member()
    room_of(first, slug="plenum")
    api, _ = api_as(second.user)
    answer = api.post("/api/v1/rooms", json={"name": "Plenum", "slug": "plenum"})
    assert answer.status_code == 422
    assert answer.json["error"]["fields"]["slug"] == ["This room address is taken."]
    assert count(Room) == 1


def test_a_room_within_the_tenants_limits_only(video_member, api_as):
    member = video_member()
    with acting("cli"):
        job = video.set_limits(member.tenant, 10, None, False)
    settle(job)
    api, _ = api_as(member.user)
    too_many = api.post("/api/v1/rooms", json={"name": "Big", "max_participants": 11})
    assert too_many.status_code == 422
    assert "10" in too_many.json["error"]["fields"]["max_participants"][0]
    recorded = api.post("/api/v1/rooms", json={"name": "Rec", "record": True})
    assert recorded.status_code == 422 and "record" in recorded.json["error"]["fields"]
    assert count(Room) == 0
    assert (
        api.post("/api/v1/rooms", json={"name": "Fits", "max_participants": 10}).status_code == 201
    )


def test_a_member_without_a_tenant_makes_no_room(balancer, api_as):
    api, _ = api_as("member")
    answer = api.post("/api/v1/rooms", json={"name": "Plenum"})
    assert answer.status_code == 409
    assert count(Room) == 0


def test_the_owner_starts_as_moderator_with_the_rooms_options(video_member, double, api_as):
    member = video_member()
    serve(double, member.tenant)
    room = room_of(member, record=True, mute_on_start=True, waiting_room=True, max_participants=7)
    api, _ = api_as(member.user)
    answer = api.post(f"/api/v1/rooms/{room.id}/start")
    assert answer.status_code == 200, answer.json
    query = joined(answer.json["url"])
    assert query["role"] == "MODERATOR" and query["meetingID"] == room.meeting_id
    meeting = double.meetings[room.meeting_id]
    assert meeting.record and meeting.mute_on_start and meeting.max_participants == 7
    assert meeting.guest_policy == "ASK_MODERATOR"
    assert [a.role for a in meeting.attendees.values()] == ["MODERATOR"]


def test_guests_wait_then_join_as_viewers_and_a_wrong_code_joins_nobody(
    video_member, double, client
):
    member = video_member()
    serve(double, member.tenant)
    room = room_of(member, viewer_code="gast2026", moderator_code="leitung99")
    page = client.get(f"/r/{room.slug}")
    assert page.status_code == 200 and b"Plenum" in page.data
    wrong = client.post(f"/r/{room.slug}", data={"name": "Eve", "code": "guess"})
    assert wrong.status_code == 422 and b"Wrong access code." in wrong.data
    admitted = client.post(f"/r/{room.slug}", data={"name": "Gustav", "code": "gast2026"})
    assert admitted.status_code == 302
    waiting_link = admitted.headers["Location"]
    waiting = client.get(waiting_link)
    assert waiting.status_code == 200 and b'http-equiv="refresh"' in waiting.data
    assert double.meetings == {}
    with acting("cli", member.user):
        start = meetings.start(room, "Owner")
    joined(start)
    into = client.get(waiting_link)
    assert into.status_code == 302
    query = joined(into.headers["Location"])
    assert query["role"] == "VIEWER" and query["fullName"] == "Gustav"
    roles = sorted(a.role for a in double.meetings[room.meeting_id].attendees.values())
    assert roles == ["MODERATOR", "VIEWER"]


def test_the_moderator_code_makes_a_moderator_who_may_start(video_member, double, client):
    member = video_member()
    serve(double, member.tenant)
    room = room_of(member, viewer_code="gast2026", moderator_code="leitung99")
    admitted = client.post(f"/r/{room.slug}", data={"name": "Mona", "code": "leitung99"})
    into = client.get(admitted.headers["Location"])
    assert into.status_code == 302
    assert joined(into.headers["Location"])["role"] == "MODERATOR"


def test_nobody_else_gets_a_moderators_url(video_member, double, client):
    member = video_member()
    serve(double, member.tenant)
    room = room_of(member, anyone_can_start=True)
    for code in ("", None):
        admitted = client.post(f"/r/{room.slug}", data={"name": "Vera", "code": code or ""})
        into = client.get(admitted.headers["Location"])
        assert joined(into.headers["Location"])["role"] == "VIEWER"
    refused = client.post(f"/r/{room.slug}", data={"name": "Vera", "code": "anything"})
    assert refused.status_code == 422


def test_a_waiting_link_of_another_room_forged_or_expired_is_refused(
    video_member, double, client, monkeypatch
):
    member = video_member()
    serve(double, member.tenant)
    first, second = room_of(member, slug="erster"), room_of(member, slug="zweiter")
    link = client.post("/r/erster", data={"name": "Gustav"}).headers["Location"]
    ticket = link.rsplit("/", 1)[1]
    assert client.get(f"/r/zweiter/wait/{ticket}").status_code == 422
    payload, signature = ticket.rsplit(".", 1)
    forged = "B" if signature[0] == "A" else "A"
    assert client.get(f"/r/erster/wait/{payload}.{forged}{signature[1:]}").status_code == 422
    monkeypatch.setattr(meetings, "WAITING_SECONDS", -1)
    expired = client.get(link)
    assert expired.status_code == 410 and b"expired" in expired.data
    assert double.meetings == {} and first.id != second.id


def test_an_unknown_room_is_404_and_a_long_name_422(video_member, double, client):
    member = video_member()
    serve(double, member.tenant)
    room = room_of(member)
    assert client.get("/r/no-such-room").status_code == 404
    assert client.post("/r/no-such-room", data={"name": "X"}).status_code == 404
    assert client.post(f"/r/{room.slug}", data={"name": "x" * 65}).status_code == 422
    assert client.post(f"/r/{room.slug}", data={"name": "  "}).status_code == 422


def test_a_shared_room_is_started_by_the_other_member_but_changed_by_its_owner_only(
    video_member, double, api_as
):
    owner, other = video_member(), video_member()
    serve(double, owner.tenant)
    room = room_of(owner)
    with acting("cli", owner.user):
        rooms.share_room(room, other.user.member.number)
    api, _ = api_as(other.user)
    assert [r["id"] for r in api.get("/api/v1/rooms").json] == [room.id]
    started = api.post(f"/api/v1/rooms/{room.id}/start")
    assert started.status_code == 200
    assert joined(started.json["url"])["role"] == "MODERATOR"
    assert api.patch(f"/api/v1/rooms/{room.id}", json={"name": "Mine"}).status_code == 404
    assert api.delete(f"/api/v1/rooms/{room.id}").status_code == 404
    stranger, _ = api_as(video_member().user)
    assert stranger.get(f"/api/v1/rooms/{room.id}").status_code == 404
    assert stranger.post(f"/api/v1/rooms/{room.id}/start").status_code == 404
    assert double.meetings[room.meeting_id].attendees


def test_sharing_with_nobody_or_oneself_is_refused(video_member):
    member = video_member()
    room = room_of(member)
    for number in ("", "M-99999", member.user.member.number):
        with acting("cli", member.user), pytest.raises(rooms.ValidationFailed):
            rooms.share_room(room, number)
    assert count(RoomShare) == 0


def test_a_cluster_that_cannot_be_reached_is_a_clear_503(video_member, double, api_as):
    member = video_member()
    room = room_of(member)
    double.stop()
    api, _ = api_as(member.user)
    answer = api.post(f"/api/v1/rooms/{room.id}/start")
    assert answer.status_code == 503
    assert "cannot be reached" in answer.json["error"]["message"]
