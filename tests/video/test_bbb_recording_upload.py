"""The double's recording upload to BBBLB: the archive and metadata.xml read by the rules BBBLB's
importer applies (bbblb/services/recording.py, FormatXMLWrapper), the server's JWT as BBBLB's
upload API checks it (bbblb/web/bbblbapi.py), and the upload itself over TLS."""

import datetime
import http.server
import io
import json
import re
import ssl
import tarfile
import threading
import time
from pathlib import Path

import jwt
import pytest
from bbb_double import BbbDouble
from bbb_recording_upload import UPLOAD_PATH, recording_archive, server_token
from defusedxml import ElementTree
from tls_files import TestCa

from panel.video.bbb_api import BbbClient

SECRET = "server-secret-of-bbb1-4f0c2a9e1d7b"
BBBLB_DOMAIN = "lb.video.test"
SERVER_DOMAIN = "bbb1.video.test"
# BBBLB's own checks of what an import brings (bbblb/utils.py).
RECORD_ID = re.compile(r"^[0-9a-f]{40}-\d{12,}$")
FORMAT_NAME = re.compile(r"^[a-zA-Z0-9]{1,64}$")
TENANT_NAME = re.compile(r"^[a-zA-Z0-9]{1,16}$")
SCOPE_SEPARATOR = "-bbblb-"


@pytest.fixture
def recording():
    """A recording of a meeting BBBLB created for its tenant "alpha" on the double."""
    with BbbDouble(SECRET, domain="127.0.0.1") as bbb, BbbClient(bbb.base_url, SECRET) as client:
        client.call(
            "create",
            {
                "meetingID": f"room1{SCOPE_SEPARATOR}alpha",
                "name": "Raum für alle",
                "record": True,
                "meta_bbblb-uuid": "0b0e5e7c-5a34-4f53-9a51-8f1b8f0f6a11",
                "meta_bbblb-origin": BBBLB_DOMAIN,
                "meta_bbblb-tenant": "alpha",
                "meta_bbblb-server": SERVER_DOMAIN,
            },
        )
        for user_id in ("u1", "u2"):
            client.call(
                "join",
                {
                    "meetingID": f"room1{SCOPE_SEPARATOR}alpha",
                    "fullName": user_id,
                    "role": "VIEWER",
                    "userID": user_id,
                    "redirect": "false",
                },
            )
        client.call("end", {"meetingID": f"room1{SCOPE_SEPARATOR}alpha"})
        yield bbb.add_recording(f"room1{SCOPE_SEPARATOR}alpha", duration_ms=3_723_000)


def _imported(archive: bytes, folder: Path) -> dict:
    """What BBBLB's importer takes from ARCHIVE: extracted with tarfile's data filter, each
    **/metadata.xml read field by field as FormatXMLWrapper does."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (metafile,) = folder.glob("**/metadata.xml")
    xml = ElementTree.parse(metafile)
    record_id = xml.findtext("id")
    format_name = xml.findtext("playback/format")
    tenant = xml.findtext("meta/bbblb-tenant")
    assert record_id and RECORD_ID.match(record_id)
    assert format_name and FORMAT_NAME.match(format_name)
    assert tenant and TENANT_NAME.match(tenant)
    meta = {tag.tag: tag.text for tag in xml.find("meta") if tag.text}
    playback = xml.find("playback")
    assert playback is not None
    return {
        "folder": metafile.parent.relative_to(folder),
        "record_id": record_id,
        "format": format_name,
        "tenant": tenant,
        "meta": meta,
        "meeting_id": meta["meetingId"].rpartition(SCOPE_SEPARATOR)[0] or meta["meetingId"],
        "started": datetime.datetime.fromtimestamp(
            int(xml.findtext("start_time") or 0) / 1000, tz=datetime.UTC
        ),
        "ended": datetime.datetime.fromtimestamp(
            int(xml.findtext("end_time") or 0) / 1000, tz=datetime.UTC
        ),
        "participants": int(xml.findtext("participants") or 0),
        "published": (xml.findtext("published") or "").lower() == "true",
        # getRecordings' fields, as BBBLB derives them from the playback node.
        "url": playback.findtext("link"),
        "length": int(playback.findtext("duration")) // 60000,
        "files": sorted(p.name for p in metafile.parent.iterdir()),
    }


def test_the_archive_imports_as_bbblb_reads_it(recording, tmp_path):
    archive = recording_archive(recording)
    assert archive[:2] == b"\x1f\x8b"  # gzip, as `tar -cz` makes it
    imported = _imported(archive, tmp_path)
    assert imported["folder"] == Path(
        f"var/bigbluebutton/published/presentation/{recording.record_id}"
    )
    assert imported["record_id"] == recording.record_id
    assert (imported["format"], imported["tenant"]) == ("presentation", "alpha")
    assert imported["meeting_id"] == "room1"
    assert imported["meta"] == {
        "bbblb-uuid": "0b0e5e7c-5a34-4f53-9a51-8f1b8f0f6a11",
        "bbblb-origin": BBBLB_DOMAIN,
        "bbblb-tenant": "alpha",
        "bbblb-server": SERVER_DOMAIN,
        "isBreakout": "false",
        "meetingId": f"room1{SCOPE_SEPARATOR}alpha",
        "meetingName": "Raum für alle",
    }
    assert imported["ended"] - imported["started"] == datetime.timedelta(seconds=3723)
    assert (imported["participants"], imported["published"]) == (2, True)
    assert imported["url"].endswith(f"/playback/presentation/2.3/{recording.record_id}")
    assert imported["length"] == 62
    assert imported["files"] == ["captions.json", "metadata.xml"]


def test_an_unpublished_recording_is_imported_unpublished(recording, tmp_path):
    recording.state = "unpublished"
    assert _imported(recording_archive(recording), tmp_path)["published"] is False


def test_the_upload_token_is_what_bbblb_accepts():
    token = server_token(BBBLB_DOMAIN, SERVER_DOMAIN, SECRET)
    assert jwt.get_unverified_header(token) == {
        "alg": "HS256",
        "kid": f"bbb:{SERVER_DOMAIN}",
        "typ": "JWT",
    }
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=BBBLB_DOMAIN)
    assert claims["sub"] == SERVER_DOMAIN
    assert 0 < claims["exp"] - time.time() <= 600
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, SECRET, algorithms=["HS256"], audience="other.example")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            token,
            "another server's secret, as long as theirs are",
            algorithms=["HS256"],
            audience=BBBLB_DOMAIN,
        )


class _FakeUploadApi(http.server.BaseHTTPRequestHandler):
    """BBBLB's upload endpoint as far as the upload's form goes: keeps what it was sent."""

    received: list[dict]

    def log_message(self, format, *args) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        accepted = self.headers["Content-Type"] == "application/x-tar"
        answer = json.dumps({"message": "Import accepted", "importId": "i-1"}).encode()
        self.send_response(202 if accepted else 415)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


def test_the_upload_reaches_bbblb_over_tls_at_the_address_given(recording, tmp_path):
    ca = TestCa(tmp_path / "ca")
    listener = ca.server(BBBLB_DOMAIN)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(listener.cert_file, listener.key_file)
    handler = type("Handler", (_FakeUploadApi,), {"received": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        bbb = BbbDouble(SECRET)
        answer = bbb.upload_recording(
            f"https://{BBBLB_DOMAIN}:{port}",
            BBBLB_DOMAIN,
            SERVER_DOMAIN,
            recording,
            ca_file=ca.ca_file,
            connect_to=f"127.0.0.1:{port}",
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (answer.status_code, answer.json()["message"]) == (202, "Import accepted")
    (sent,) = handler.received
    assert sent["path"] == UPLOAD_PATH
    assert sent["headers"]["Host"] == f"{BBBLB_DOMAIN}:{port}"
    scheme, token = sent["headers"]["Authorization"].split()
    assert scheme == "Bearer"
    assert jwt.get_unverified_header(token)["kid"] == f"bbb:{SERVER_DOMAIN}"
    jwt.decode(token, SECRET, algorithms=["HS256"], audience=BBBLB_DOMAIN)
    assert _imported(sent["body"], tmp_path / "import")["record_id"] == recording.record_id
