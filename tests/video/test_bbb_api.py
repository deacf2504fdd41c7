"""The panel's BigBlueButton API client: checksums, signed URLs, answers and failures."""

import hashlib
import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from bbb_double import BbbDouble

from panel.video.bbb_api import (
    BbbClient,
    BbbError,
    BbbUnreachable,
    checksum,
    encode_query,
    parse_answer,
)

SECRET = "8cd8ef52e8e101574e400365b55e11a6"


def test_the_documented_checksum_example():
    """https://docs.bigbluebutton.org/development/api/#usage gives this example (SHA-1)."""
    assert (
        checksum(
            "create",
            "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444",
            "639259d4-9dd8-4b25-bf01-95f9567eaf4b",
            algorithm="sha1",
        )
        == "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
    )


@pytest.mark.parametrize(
    ("algorithm", "length"), [("sha1", 40), ("sha256", 64), ("sha384", 96), ("sha512", 128)]
)
def test_each_algorithm_gives_its_digest_length(algorithm, length):
    digest = checksum("getMeetings", "", SECRET, algorithm)
    assert len(digest) == length
    assert digest == hashlib.new(algorithm, f"getMeetings{SECRET}".encode()).hexdigest()


def test_sha256_is_the_default():
    assert checksum("end", "meetingID=a", SECRET) == checksum(
        "end", "meetingID=a", SECRET, "sha256"
    )
    assert BbbClient("https://bbb.example.org/bigbluebutton/api", SECRET).algorithm == "sha256"


@pytest.mark.parametrize("algorithm", ["md5", "SHA256", "sha224", "sha3_256", ""])
def test_other_algorithms_are_refused(algorithm):
    with pytest.raises(ValueError, match="algorithm"):
        checksum("getMeetings", "", SECRET, algorithm)
    with pytest.raises(ValueError, match="algorithm"):
        BbbClient("https://bbb.example.org/bigbluebutton/api", SECRET, algorithm)


def test_params_with_spaces_umlauts_and_ampersands_are_signed_as_sent():
    client = BbbClient("https://bbb.example.org/bigbluebutton/api/", SECRET)
    params = {"meetingID": "raum 1", "name": "Größe & Co", "record": True, "duration": 30}
    url = client.url("create", params)
    base, _, query = url.partition("?")
    signed, _, digest = query.rpartition("&checksum=")
    assert base == "https://bbb.example.org/bigbluebutton/api/create"
    assert signed == "meetingID=raum+1&name=Gr%C3%B6%C3%9Fe+%26+Co&record=true&duration=30"
    assert digest == checksum("create", signed, SECRET)
    assert {name: values[0] for name, values in parse_qs(signed).items()} == {
        "meetingID": "raum 1",
        "name": "Größe & Co",
        "record": "true",
        "duration": "30",
    }


def test_a_call_without_params_signs_the_empty_query():
    client = BbbClient("https://bbb.example.org/bigbluebutton/api", SECRET, "sha1")
    assert client.url("getMeetings") == (
        "https://bbb.example.org/bigbluebutton/api/getMeetings?checksum="
        + hashlib.sha1(f"getMeetings{SECRET}".encode()).hexdigest()  # noqa: S324  # BBB's
    )
    assert encode_query({}) == ""


def test_an_answer_becomes_plain_data():
    answer = parse_answer(
        b"<response><returncode>SUCCESS</returncode><meetings><meeting>"
        b"<meetingID>a</meetingID><attendees/><metadata><bbblb-tenant>t1</bbblb-tenant>"
        b"</metadata></meeting></meetings></response>"
    )
    assert answer.returncode == "SUCCESS"
    assert answer.meetings() == [
        {"meetingID": "a", "attendees": [], "metadata": {"bbblb-tenant": "t1"}}
    ]
    assert answer.recordings() == []


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Bad gateway</body></html>",
        b"not xml at all",
        b"",
        b"<response><version>2.0</version></response>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<response><returncode>&b;</returncode></response>",
    ],
)
def test_what_is_no_api_answer_is_unreachable(body):
    with pytest.raises(BbbUnreachable):
        parse_answer(body)


def test_a_failed_call_raises_its_message_key():
    with (
        BbbDouble(SECRET) as bbb,
        BbbClient(bbb.base_url, SECRET) as client,
        pytest.raises(BbbError) as failure,
    ):
        client.call("getMeetingInfo", {"meetingID": "nothing-here"})
    assert failure.value.message_key == "notFound"
    assert "could not find a meeting" in failure.value.message


def test_the_version_comes_from_the_api_root():
    with BbbDouble(SECRET, version="2.0") as bbb, BbbClient(bbb.base_url, "any secret") as client:
        assert client.version() == "2.0"


def test_a_page_that_is_not_the_api_is_unreachable():
    with (
        BbbDouble(SECRET) as bbb,
        BbbClient(f"{bbb.origin}/elsewhere", SECRET) as client,
        pytest.raises(BbbUnreachable, match="not XML"),
    ):
        client.call("getMeetings")


def test_a_refused_connection_is_unreachable_and_its_reason_quotes_no_parameter():
    with socket.socket() as reserved:
        # Bound but not listening: connections to the port are refused.
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
        client = BbbClient(f"http://127.0.0.1:{port}/bigbluebutton/api", SECRET)
        url = client.url("create", {"meetingID": "m1", "moderatorPW": "hunter2-secret"})
        with pytest.raises(BbbUnreachable) as failure:
            client.call("create", {"meetingID": "m1", "moderatorPW": "hunter2-secret"})
    assert "refused" in failure.value.reason
    assert "hunter2-secret" not in str(failure.value)
    assert parse_qs(urlsplit(url).query)["checksum"][0] not in str(failure.value)


def test_a_server_that_does_not_answer_times_out():
    with socket.socket() as silent:
        # Listening, never accepting: the connection is made, no answer comes.
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        client = BbbClient(f"http://127.0.0.1:{port}/bigbluebutton/api", SECRET, timeout=0.3)
        with pytest.raises(BbbUnreachable, match="timed out"):
            client.version()


def test_connect_to_must_be_an_address():
    with pytest.raises(ValueError, match="address"):
        BbbClient("https://bbb.example.org/bigbluebutton/api", SECRET, connect_to="x/y?z")
