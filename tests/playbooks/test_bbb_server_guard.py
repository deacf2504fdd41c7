"""playbooks/library/bbb_meetings_guard.py, the check bbb-server.yml makes before it installs
BigBlueButton: no meetings go, meetings refuse with their count, a server that cannot be asked
refuses unless forced, a host without BigBlueButton goes. The decision and the parsing here; the
module as Ansible runs it against a stand-in for bbb-conf and bbb-web on this machine."""

import hashlib
import http.server
import importlib.util
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE_FILE = ROOT / "playbooks" / "library" / "bbb_meetings_guard.py"
SPEC = importlib.util.spec_from_file_location("bbb_meetings_guard", MODULE_FILE)
guard = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(guard)

SECRET = "8cd8ef52e8e101574e400365b55e11a6"
BBB_CONF_SECRET = f"""
       URL: https://bbb1.example.org/bigbluebutton/
    Secret: {SECRET}

      Link to the API-Mate:
      https://mconf.github.io/api-mate/#server=https://bbb1.example.org/bigbluebutton/&sharedSecret={SECRET}
"""
NO_MEETINGS = """<response><returncode>SUCCESS</returncode><meetings/>
<messageKey>noMeetings</messageKey><message>no meetings were found on this server</message>
</response>"""
CHECKSUM_ERROR = """<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey>
<message>Checksums do not match</message></response>"""


def meeting(name: str, end_time: int = 0, running: bool = True) -> str:
    return (
        f"<meeting><meetingName>{name}</meetingName><meetingID>{name}-id</meetingID>"
        f"<running>{str(running).lower()}</running><endTime>{end_time}</endTime>"
        "<participantCount>3</participantCount></meeting>"
    )


def meetings(*items: str) -> str:
    listed = "".join(items)
    return f"<response><returncode>SUCCESS</returncode><meetings>{listed}</meetings></response>"


@pytest.fixture(autouse=True)
def transaction():
    """No database: the shared rolled-back session stays out."""
    yield None


def test_no_meetings_go():
    decision = guard.decide(True, NO_MEETINGS, None, force=False)
    assert decision.go and decision.meetings == 0


def test_meetings_refuse_with_their_count_even_when_forced():
    # One not joined yet (running false) counts too; an ended one does not.
    answer = meetings(
        meeting("a"), meeting("b", running=False), meeting("c", end_time=1718000000000)
    )
    for force in (False, True):
        decision = guard.decide(True, answer, None, force=force)
        assert not decision.go
        assert decision.meetings == 2
        assert "2 meeting(s)" in decision.message


@pytest.mark.parametrize(
    ("answer", "problem", "reason"),
    [
        (CHECKSUM_ERROR, None, "FAILED: checksumError"),
        (None, "getMeetings failed: URLError: connection refused", "connection refused"),
        ("<html>502 Bad Gateway</html>", None, "not a BigBlueButton API response"),
        ("not xml at all", None, "not XML"),
        (meetings(meeting("a", end_time=-1)), None, "endTime is not a number"),
    ],
)
def test_a_server_that_cannot_be_asked_refuses_unless_forced(answer, problem, reason):
    refused = guard.decide(True, answer, problem, force=False)
    assert not refused.go and refused.meetings is None
    assert reason in refused.message and "bbb_server_force=true" in refused.message
    forced = guard.decide(True, answer, problem, force=True)
    assert forced.go and reason in forced.message


def test_a_host_without_bigbluebutton_goes():
    decision = guard.decide(False, None, None, force=False)
    assert decision.go and "not installed" in decision.message


def test_the_secret_and_the_checksum():
    assert guard.read_secret(BBB_CONF_SECRET) == SECRET
    with pytest.raises(ValueError):
        guard.read_secret("bbb-conf: command failed\n")
    # BBB's rule: the hash of call name, query string and secret.
    expected = hashlib.sha256(f"getMeetings{SECRET}".encode()).hexdigest()
    assert guard.checksum("getMeetings", "", SECRET) == expected


class FakeBbbWeb(http.server.BaseHTTPRequestHandler):
    """bbb-web's getMeetings: checks the checksum as BBB does and answers `answer`."""

    answer = NO_MEETINGS
    seen: list[str] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.seen.append(self.path)
        given = parse_qs(url.query).get("checksum", [""])[0]
        right = hashlib.sha256(f"getMeetings{SECRET}".encode()).hexdigest()
        body = self.answer if given == right else CHECKSUM_ERROR
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format, *args) -> None:
        """Quiet."""


@pytest.fixture
def bbb_web():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeBbbWeb)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeBbbWeb.seen = []
    yield server
    server.shutdown()
    server.server_close()


def run_module(tmp_path: Path, **params) -> dict:
    """The module as Ansible runs it (JSON arguments on stdin), with this Python."""
    arguments = json.dumps({"ANSIBLE_MODULE_ARGS": params})
    done = subprocess.run(
        [sys.executable, str(MODULE_FILE)],
        input=arguments,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    return json.loads(done.stdout)


def fake_bbb_conf(tmp_path: Path, output: str = BBB_CONF_SECRET) -> Path:
    path = tmp_path / "bbb-conf"
    path.write_text(f"#!/bin/sh\n[ \"$1\" = --secret ] || exit 2\ncat <<'EOF'\n{output}\nEOF\n")
    path.chmod(0o755)
    return path


def test_the_module_asks_the_server_with_its_own_secret(tmp_path, bbb_web):
    api = f"http://127.0.0.1:{bbb_web.server_address[1]}/bigbluebutton/api/"
    bbb_conf = fake_bbb_conf(tmp_path)

    FakeBbbWeb.answer = NO_MEETINGS
    result = run_module(tmp_path, api_url=api, bbb_conf=str(bbb_conf))
    assert not result.get("failed") and result["meetings"] == 0, result
    assert FakeBbbWeb.seen and FakeBbbWeb.seen[0].startswith("/bigbluebutton/api/getMeetings?")

    FakeBbbWeb.answer = meetings(meeting("a"), meeting("b"), meeting("c"))
    result = run_module(tmp_path, api_url=api, bbb_conf=str(bbb_conf), force=True)
    assert result["failed"] and result["meetings"] == 3, result
    assert "3 meeting(s)" in result["msg"]
    assert SECRET not in json.dumps(result)

    # A wrong secret: the server answers checksumError, which refuses.
    wrong = fake_bbb_conf(tmp_path, BBB_CONF_SECRET.replace(SECRET, "0" * 32))
    result = run_module(tmp_path, api_url=api, bbb_conf=str(wrong))
    assert result["failed"] and "checksumError" in result["msg"], result


def test_the_module_refuses_an_unreachable_server_unless_forced(tmp_path):
    bbb_conf = fake_bbb_conf(tmp_path)
    api = "http://127.0.0.1:9/bigbluebutton/api/"
    result = run_module(tmp_path, api_url=api, bbb_conf=str(bbb_conf), timeout=5)
    assert result["failed"] and "getMeetings failed" in result["msg"], result
    result = run_module(tmp_path, api_url=api, bbb_conf=str(bbb_conf), timeout=5, force=True)
    assert not result.get("failed") and result["meetings"] is None, result


def test_the_module_lets_a_fresh_host_go(tmp_path):
    result = run_module(tmp_path, bbb_conf=str(tmp_path / "no-bbb-conf"))
    assert not result.get("failed") and result["installed"] is False, result
