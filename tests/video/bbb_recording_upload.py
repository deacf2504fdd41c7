"""What BBBLB's post_publish script does on a BigBlueButton server once a recording is published,
for the BBB test double: a tar of the recording's published folder (its metadata.xml as BBB's
publishing writes it) POSTed to BBBLB's /bbblb/api/v1/recording/upload, authenticated by a JWT
that the server signs with its API secret (HS256, key ID `bbb:<server domain>`, audience BBBLB's
domain)."""

import io
import tarfile
import time
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element, SubElement, tostring

import jwt
import requests

from panel.video.bbb_api import http_session

if TYPE_CHECKING:
    from bbb_double_state import Recording

UPLOAD_PATH = "/bbblb/api/v1/recording/upload"
# Where BBB publishes a format's files: <published_dir>/<format>/<record ID>/ (tar drops the /).
PUBLISHED_DIR = "var/bigbluebutton/published"
TOKEN_SECONDS = 600
TIMEOUT = (5.0, 60.0)


def metadata_xml(recording: "Recording", format_type: str = "presentation") -> bytes:
    """The metadata.xml BBB's publishing writes next to a format's playback files."""
    (playback_format,) = [f for f in recording.formats if f.type == format_type]
    root = Element("recording")
    for name, value in (
        ("id", recording.record_id),
        ("state", recording.state),
        ("published", "true" if recording.published else "false"),
        ("start_time", recording.start_time),
        ("end_time", recording.end_time),
        ("participants", recording.participants),
        ("raw_size", recording.raw_size),
    ):
        SubElement(root, name).text = str(value)
    SubElement(
        root,
        "meeting",
        id=recording.internal_meeting_id,
        externalId=recording.meeting_id,
        name=recording.name,
        breakout="false",
    )
    meta = SubElement(root, "meta")
    for key, value in recording.metadata.items():
        SubElement(meta, key).text = value
    SubElement(root, "breakout", parentMeetingId="", sequence="", freeJoin="false")
    playback = SubElement(root, "playback")
    for name, value in (
        ("format", playback_format.type),
        ("link", playback_format.url),
        ("processing_time", playback_format.processing_time),
        ("duration", playback_format.duration_ms),
    ):
        SubElement(playback, name).text = str(value)
    images = SubElement(SubElement(SubElement(playback, "extensions"), "preview"), "images")
    thumbnail = f"{playback_format.url.split('/playback/')[0]}/presentation/{recording.record_id}"
    SubElement(
        images, "image", width="176", height="136", alt="Welcome"
    ).text = f"{thumbnail}/presentation/slides/thumbnails/thumb-1.png"
    SubElement(playback, "size").text = str(playback_format.size)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def recording_archive(recording: "Recording", format_type: str = "presentation") -> bytes:
    """The gzipped tar `tar -cz <published_dir>/<format>/<record ID>` makes."""
    folder = f"{PUBLISHED_DIR}/{format_type}/{recording.record_id}"
    files = {
        "metadata.xml": metadata_xml(recording, format_type),
        "captions.json": b"[]\n",
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        _add_folder(archive, folder)
        for name, content in files.items():
            member = tarfile.TarInfo(f"{folder}/{name}")
            member.size = len(content)
            member.mode = 0o644
            member.mtime = int(time.time())
            archive.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


def _add_folder(archive: tarfile.TarFile, path: str) -> None:
    member = tarfile.TarInfo(path)
    member.type = tarfile.DIRTYPE
    member.mode = 0o755
    member.mtime = int(time.time())
    archive.addfile(member)


def server_token(bbblb_domain: str, server_domain: str, secret: str) -> str:
    """The short-lived JWT a BBB server authenticates its uploads to BBBLB with."""
    return jwt.encode(
        {"sub": server_domain, "aud": bbblb_domain, "exp": int(time.time()) + TOKEN_SECONDS},
        secret,
        algorithm="HS256",
        headers={"kid": f"bbb:{server_domain}"},
    )


def upload(
    bbblb_url: str,
    bbblb_domain: str,
    server_domain: str,
    secret: str,
    recording: "Recording",
    *,
    ca_file: str | None = None,
    connect_to: str | None = None,
) -> requests.Response:
    """POSTs RECORDING's presentation format to BBBLB at BBBLB_URL (`https://<domain>`)."""
    with http_session(bbblb_url, connect_to=connect_to, ca_file=ca_file) as session:
        return session.post(
            f"{bbblb_url.rstrip('/')}{UPLOAD_PATH}",
            data=recording_archive(recording),
            headers={
                "Authorization": f"Bearer {server_token(bbblb_domain, server_domain, secret)}",
                "Content-Type": "application/x-tar",
            },
            timeout=TIMEOUT,
        )
