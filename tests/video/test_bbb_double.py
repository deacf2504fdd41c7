"""The BigBlueButton server double, checked against a third-party client (bbbctl) and the panel's
client, so that neither side only agrees with itself."""

import hashlib
from urllib.parse import parse_qs, urlsplit

import bbbctl
import pytest
import requests
from bbb_double import BbbDouble
from defusedxml import ElementTree
from tls_files import TestCa

from panel.video.bbb_api import BbbClient, BbbError, BbbUnreachable, checksum

SECRET = "Z9ybK4tsX1aVd0eLkW3Jqo8pTfR6uNmC2hGiE5l7"


@pytest.fixture
def bbb():
    with BbbDouble(SECRET) as double:
        yield double


@pytest.fixture
def client(bbb):
    with BbbClient(bbb.base_url, SECRET) as panel_client:
        yield panel_client


@pytest.fixture
def bbbctl_client(bbb):
    return bbbctl.BBBApiClient(bbb.base_url, SECRET)


def _failure(call) -> BbbError:
    with pytest.raises(BbbError) as failure:
        call()
    return failure.value


def test_a_third_party_client_creates_joins_lists_and_ends(bbb, bbbctl_client, client):
    created = bbbctl_client.createMeeting(
        "room-1", "Vollversammlung", record="true", maxParticipants=5, meta_Course="Coop 101"
    )
    assert created.findtext("meetingID") == "room-1"
    assert client.call("isMeetingRunning", {"meetingID": "room-1"}).data["running"] == "false"

    join_url = bbbctl_client.getJoinLink("room-1", "Anna Muster", role="MODERATOR", userID="u-1")
    page = requests.get(join_url, timeout=10)
    assert page.status_code == 200
    assert page.history[0].status_code == 302
    assert "Anna Muster (MODERATOR) in Vollversammlung" in page.text

    (meeting,) = bbbctl_client.getMeetings()
    assert meeting.findtext("meetingID") == "room-1"
    assert meeting.findtext("internalMeetingID") == created.findtext("internalMeetingID")
    assert meeting.findtext("participantCount") == "1"
    assert meeting.findtext("metadata/course") == "Coop 101"
    assert meeting.findtext("attendees/attendee/role") == "MODERATOR"
    assert client.call("isMeetingRunning", {"meetingID": "room-1"}).data["running"] == "true"

    ended = bbbctl_client.end("room-1")
    assert ended.findtext("messageKey") == "sentEndMeetingRequest"
    assert bbbctl_client.getMeetings() == []
    assert [m.meeting_id for m in bbb.ended] == ["room-1"]
    assert client.call("isMeetingRunning", {"meetingID": "room-1"}).data["running"] == "false"


def test_the_panel_signs_exactly_as_the_third_party_client(bbb, bbbctl_client):
    params = {"meetingID": "Raum 7", "name": "Größe & Co", "attendeePW": "a+b=c", "record": True}
    third_party_url = bbbctl_client.makeurl("create", **{**params, "record": "true"})
    query = urlsplit(third_party_url).query
    signed, _, digest = query.rpartition("&checksum=")
    assert checksum("create", signed, SECRET, "sha1") == digest
    assert BbbClient(bbb.base_url, SECRET, "sha1").url("create", params) == third_party_url


def test_create_is_idempotent_and_keeps_its_settings(bbb, client):
    params = {
        "meetingID": "room-2",
        "name": "Room 2",
        "record": True,
        "maxParticipants": 9,
        "duration": 90,
        "guestPolicy": "ASK_MODERATOR",
        "muteOnStart": True,
        "moderatorPW": "mod-pw",
        "attendeePW": "att-pw",
        "meta_bbblb-tenant": "alpha",
        "meta_Origin-Server": "panel.example",
        "meta_": "not a meta parameter",
    }
    first = client.call("create", params)
    again = client.call("create", params)
    assert again.message_key == "duplicateWarning"
    assert again.data["internalMeetingID"] == first.data["internalMeetingID"]
    assert list(bbb.meetings) == ["room-2"]
    meeting = bbb.meetings["room-2"]
    assert (meeting.name, meeting.record, meeting.max_participants, meeting.duration) == (
        "Room 2",
        True,
        9,
        90,
    )
    assert (meeting.guest_policy, meeting.mute_on_start) == ("ASK_MODERATOR", True)
    assert (meeting.moderator_pw, meeting.attendee_pw) == ("mod-pw", "att-pw")
    # BBB keeps meta_ parameters' names lowercased, and returns them.
    assert meeting.metadata == {"bbblb-tenant": "alpha", "origin-server": "panel.example"}
    info = client.call("getMeetingInfo", {"meetingID": "room-2"}).data
    assert info["metadata"] == meeting.metadata
    assert (info["maxUsers"], info["recording"]) == ("9", "true")

    clash = _failure(lambda: client.call("create", {**params, "moderatorPW": "other"}))
    assert clash.message_key == "idNotUnique"


def test_answers_read_as_bbblb_reads_them(bbb, client):
    """BBBLB (services/poller.py, web/bbbapi.py) reads these element paths."""
    created = client.call(
        "create", {"meetingID": "m-bbblb-alpha", "name": "m", "meta_bbblb-tenant": "alpha"}
    )
    client.call(
        "join",
        {"meetingID": "m-bbblb-alpha", "fullName": "A", "role": "VIEWER", "redirect": "false"},
    )
    answer = requests.get(client.url("getMeetings"), timeout=10).content
    root = ElementTree.fromstring(answer)
    assert root.findtext("returncode") == "SUCCESS"
    (meeting,) = root.iterfind("meetings/meeting")
    assert meeting.findtext("internalMeetingID") == created.data["internalMeetingID"]
    assert meeting.findtext("meetingID") == "m-bbblb-alpha"
    assert meeting.findtext("metadata/bbblb-tenant") == "alpha"
    assert int(meeting.findtext("endTime")) == 0
    assert int(meeting.findtext("participantCount")) == 1
    assert int(meeting.findtext("voiceParticipantCount")) == 0
    assert int(meeting.findtext("videoCount")) == 0
    assert int(meeting.findtext("createTime")) > 0
    assert meeting.findtext("breakout/parentMeetingID") is None


def test_join_gives_each_attendee_a_role(bbb, client):
    client.call(
        "create", {"meetingID": "room-3", "name": "r", "moderatorPW": "mp", "attendeePW": "ap"}
    )
    joins = [
        {"fullName": "Mod", "role": "MODERATOR", "userID": "u1"},
        {"fullName": "View", "role": "viewer", "userID": "u2"},
        {"fullName": "Legacy Mod", "password": "mp", "userID": "u3"},
        {"fullName": "Legacy View", "password": "ap", "userID": "u4"},
    ]
    for join in joins:
        joined = client.call("join", {"meetingID": "room-3", "redirect": "false", **join})
        assert joined.message_key == "successfullyJoined"
        assert "sessionToken=" in joined.data["url"]
    roles = {
        a["userID"]: a["role"]
        for a in client.call("getMeetingInfo", {"meetingID": "room-3"}).attendees()
    }
    assert roles == {"u1": "MODERATOR", "u2": "VIEWER", "u3": "MODERATOR", "u4": "VIEWER"}
    assert {u: a.role for u, a in bbb.meetings["room-3"].attendees.items()} == roles

    wrong = _failure(
        lambda: client.call("join", {"meetingID": "room-3", "fullName": "X", "password": "no"})
    )
    assert wrong.message_key == "invalidPassword"
    unnamed = _failure(lambda: client.call("join", {"meetingID": "room-3", "role": "VIEWER"}))
    assert unnamed.message_key == "missingParamFullName"
    unknown = _failure(
        lambda: client.call("join", {"meetingID": "no-room", "fullName": "X", "role": "VIEWER"})
    )
    assert unknown.message_key == "invalidMeetingIdentifier"

    bbb.leave("room-3", "u2")
    info = client.call("getMeetingInfo", {"meetingID": "room-3"})
    assert [a["userID"] for a in info.attendees()] == ["u1", "u3", "u4"]
    assert info.data["moderatorCount"] == "2"


def test_max_participants_is_enforced(bbb, client):
    client.call("create", {"meetingID": "small", "name": "small", "maxParticipants": 2})

    def join(user_id):
        return client.call(
            "join",
            {
                "meetingID": "small",
                "fullName": user_id,
                "role": "VIEWER",
                "userID": user_id,
                "redirect": "false",
            },
        )

    join("u1")
    join("u2")
    full = _failure(lambda: join("u3"))
    assert full.message_key == "maxParticipantsReached"
    join("u1")  # a rejoin takes no second place
    bbb.leave("small", "u2")
    join("u3")
    assert sorted(bbb.meetings["small"].attendees) == ["u1", "u3"]


def test_a_join_url_opened_after_the_limit_is_refused(bbb, client):
    client.call("create", {"meetingID": "one", "name": "one", "maxParticipants": 1})
    first = requests.get(
        client.url("join", {"meetingID": "one", "fullName": "A", "role": "VIEWER"}), timeout=10
    )
    assert first.status_code == 200
    second = requests.get(
        client.url("join", {"meetingID": "one", "fullName": "B", "role": "VIEWER"}), timeout=10
    )
    assert ElementTree.fromstring(second.content).findtext("messageKey") == "maxParticipantsReached"


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha384", "sha512"])
def test_each_supported_algorithm_is_accepted(bbb, algorithm):
    with BbbClient(bbb.base_url, SECRET, algorithm) as client:
        assert client.call("getMeetings").returncode == "SUCCESS"


def test_a_checksum_in_capitals_is_accepted(bbb, client):
    url = client.url("getMeetings")
    base, _, digest = url.rpartition("checksum=")
    answer = requests.get(f"{base}checksum={digest.upper()}", timeout=10).content
    assert ElementTree.fromstring(answer).findtext("returncode") == "SUCCESS"


def _raw_failure(url: str) -> str:
    root = ElementTree.fromstring(requests.get(url, timeout=10).content)
    assert root.findtext("returncode") == "FAILED"
    return root.findtext("messageKey")


def test_wrong_or_missing_checksums_are_refused(bbb, client):
    url = client.url("create", {"meetingID": "room-x", "name": "x"})
    base, _, digest = url.rpartition("&checksum=")
    flipped = ("0" if digest[0] != "0" else "1") + digest[1:]
    assert _raw_failure(base) == "checksumError"
    assert _raw_failure(f"{base}&checksum=") == "checksumError"
    assert _raw_failure(f"{base}&checksum={flipped}") == "checksumError"
    # The checksum covers the query as sent: a changed parameter fails it.
    assert _raw_failure(f"{base.replace('room-x', 'room-y')}&checksum={digest}") == "checksumError"
    assert _raw_failure(f"{base}&checksum={hashlib.md5(b'x').hexdigest()}") == "checksumError"  # noqa: S324
    with BbbClient(bbb.base_url, "not the secret") as stranger:
        assert _failure(lambda: stranger.call("getMeetings")).message_key == "checksumError"
    assert bbb.meetings == {}
    assert bbbctl.BBBApiClient(bbb.base_url, SECRET).getMeetings() == []


def test_a_checksum_of_an_algorithm_not_supported_is_refused():
    with BbbDouble(SECRET, algorithms=("sha256", "sha512")) as bbb:
        for algorithm in ("sha1", "sha384"):
            with BbbClient(bbb.base_url, SECRET, algorithm) as client:
                assert (
                    _failure(lambda c=client: c.call("getMeetings")).message_key == "checksumError"
                )
        with pytest.raises(bbbctl.ApiError):
            bbbctl.BBBApiClient(bbb.base_url, SECRET).getMeetings()
        for algorithm in ("sha256", "sha512"):
            with BbbClient(bbb.base_url, SECRET, algorithm) as client:
                assert client.call("getMeetings").returncode == "SUCCESS"


def test_a_post_form_is_checked_over_its_sorted_parameters_as_bbb_does(bbb):
    form = {"name": "Raum ~1", "meetingID": "posted"}
    sorted_query = "meetingID=posted&name=Raum+%7E1"
    for signed, expected in (
        (sorted_query, "SUCCESS"),
        ("name=Raum+%7E1&meetingID=posted", "FAILED"),
    ):
        answer = requests.post(
            f"{bbb.base_url}/create",
            data={**form, "checksum": checksum("create", signed, SECRET)},
            timeout=10,
        )
        assert ElementTree.fromstring(answer.content).findtext("returncode") == expected
    assert list(bbb.meetings) == ["posted"]


def _ended_meeting_with_recording(bbb, client, meeting_id: str, published: bool = True):
    client.call(
        "create", {"meetingID": meeting_id, "name": meeting_id, "record": True, "meta_Course": "c1"}
    )
    for user_id in ("u1", "u2", "u3"):
        client.call(
            "join",
            {
                "meetingID": meeting_id,
                "fullName": user_id,
                "role": "VIEWER",
                "userID": user_id,
                "redirect": "false",
            },
        )
    client.call("end", {"meetingID": meeting_id})
    return bbb.add_recording(meeting_id, duration_ms=185_000, published=published)


def test_recordings_are_listed_published_unpublished_and_deleted(bbb, client):
    first = _ended_meeting_with_recording(bbb, client, "rec-1")
    second = _ended_meeting_with_recording(bbb, client, "rec-2")

    (listed,) = client.call("getRecordings", {"meetingID": "rec-1"}).recordings()
    assert listed["recordID"] == first.record_id
    assert (listed["participants"], listed["published"], listed["state"]) == (
        "3",
        "true",
        "published",
    )
    assert listed["metadata"] == {
        "course": "c1",
        "isBreakout": "false",
        "meetingId": "rec-1",
        "meetingName": "rec-1",
    }
    (playback,) = listed["playback"]
    assert (playback["type"], playback["length"]) == ("presentation", "3")
    assert int(listed["endTime"]) - int(listed["startTime"]) == 185_000

    # A record ID matches by its prefix too (the internal meeting ID without the time).
    prefix = second.record_id.split("-")[0]
    assert [
        r["recordID"] for r in client.call("getRecordings", {"recordID": prefix}).recordings()
    ] == [second.record_id]

    unpublished = client.call("publishRecordings", {"recordID": first.record_id, "publish": False})
    assert unpublished.data["published"] == "false"
    assert bbb.recordings[first.record_id].state == "unpublished"
    assert [
        r["recordID"] for r in client.call("getRecordings", {"state": "published"}).recordings()
    ] == [second.record_id]
    assert len(client.call("getRecordings").recordings()) == 2
    client.call("publishRecordings", {"recordID": first.record_id, "publish": True})
    assert bbb.recordings[first.record_id].published

    updated = client.call(
        "updateRecordings", {"recordID": second.record_id, "meta_Course": "", "meta_Room": "7"}
    )
    assert updated.data["updated"] == "true"
    assert "course" not in bbb.recordings[second.record_id].metadata
    assert bbb.recordings[second.record_id].metadata["room"] == "7"
    (meta_match,) = client.call("getRecordings", {"meta_room": "7"}).recordings()
    assert meta_match["recordID"] == second.record_id

    deleted = client.call("deleteRecordings", {"recordID": f"{first.record_id},{second.record_id}"})
    assert deleted.data["deleted"] == "true"
    none_left = client.call("getRecordings")
    assert (none_left.recordings(), none_left.message_key) == ([], "noRecordings")
    assert len(client.call("getRecordings", {"state": "deleted"}).recordings()) == 2

    unknown = _failure(
        lambda: client.call("publishRecordings", {"recordID": "nope", "publish": True})
    )
    assert unknown.message_key == "notFound"


def test_the_third_party_client_publishes_and_deletes_recordings(bbb, client, bbbctl_client):
    recording = _ended_meeting_with_recording(bbb, client, "rec-3", published=False)
    assert bbbctl_client.getRecordings() != []
    bbbctl_client.publishRecordings(recording.record_id, "true")
    assert bbb.recordings[recording.record_id].published
    bbbctl_client.deleteRecordings(recording.record_id)
    assert bbb.recordings[recording.record_id].state == "deleted"
    assert bbbctl_client.getRecordings() == []


def test_tls_with_connect_to_checks_the_certificate_by_the_url_host_name(tmp_path):
    ca = TestCa(tmp_path)
    server = ca.server("bbb1.video.test")
    with BbbDouble(
        SECRET, cert_file=server.cert_file, key_file=server.key_file, domain="bbb1.video.test"
    ) as bbb:
        address = f"127.0.0.1:{bbb.port}"
        assert bbb.base_url == f"https://bbb1.video.test:{bbb.port}/bigbluebutton/api"
        with BbbClient(bbb.base_url, SECRET, connect_to=address, ca_file=ca.ca_file) as client:
            assert client.version() == "2.0"
            client.call("create", {"meetingID": "tls-room", "name": "TLS"})
        seen = bbb.seen[-1]
        assert (seen.call, seen.host, seen.server_name) == (
            "create",
            f"bbb1.video.test:{bbb.port}",
            "bbb1.video.test",
        )
        assert list(bbb.meetings) == ["tls-room"]

        # Not trusted without the test CA; and a name the certificate does not hold fails.
        with (
            BbbClient(bbb.base_url, SECRET, connect_to=address) as untrusted,
            pytest.raises(BbbUnreachable, match="CERTIFICATE_VERIFY_FAILED"),
        ):
            untrusted.version()
        other = f"https://bbb2.video.test:{bbb.port}/bigbluebutton/api"
        with (
            BbbClient(other, SECRET, connect_to=address, ca_file=ca.ca_file) as misnamed,
            pytest.raises(BbbUnreachable, match=r"bbb2\.video\.test"),
        ):
            misnamed.version()
        assert [s.call for s in bbb.seen] == ["create"]


def test_connect_to_without_a_port_takes_the_urls_and_keeps_the_host_header():
    with (
        BbbDouble(SECRET, domain="tenant1.lb.video.test") as bbb,
        BbbClient(bbb.base_url, SECRET, connect_to="127.0.0.1") as client,
    ):
        client.call("create", {"meetingID": "by-name", "name": "n"})
    assert bbb.seen[-1].host == f"tenant1.lb.video.test:{bbb.port}"
    assert list(bbb.meetings) == ["by-name"]


def test_the_join_redirect_of_a_tls_double_is_followed_to_its_client(tmp_path):
    ca = TestCa(tmp_path)
    server = ca.server("127.0.0.1")
    with BbbDouble(SECRET, cert_file=server.cert_file, key_file=server.key_file) as bbb:
        client = BbbClient(bbb.base_url, SECRET, ca_file=ca.ca_file)
        client.call("create", {"meetingID": "room-r", "name": "Room"})
        page = requests.get(
            client.url("join", {"meetingID": "room-r", "fullName": "Bo", "role": "VIEWER"}),
            verify=ca.ca_file,
            timeout=10,
        )
    assert page.status_code == 200
    token = parse_qs(urlsplit(page.url).query)["sessionToken"][0]
    assert token and "Bo (VIEWER) in Room" in page.text


def test_the_ca_file_given_wins_over_the_environments_bundle(tmp_path, monkeypatch):
    """requests lets REQUESTS_CA_BUNDLE replace a session's CA file; the client does not."""
    ca, elsewhere = TestCa(tmp_path / "ca"), TestCa(tmp_path / "elsewhere")
    server = ca.server("127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", elsewhere.ca_file)
    monkeypatch.setenv("CURL_CA_BUNDLE", elsewhere.ca_file)
    with (
        BbbDouble(SECRET, cert_file=server.cert_file, key_file=server.key_file) as bbb,
        BbbClient(bbb.base_url, SECRET, ca_file=ca.ca_file) as client,
    ):
        assert client.version() == "2.0"
