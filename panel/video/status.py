"""What each BigBlueButton server says of itself right now: reachable, its version, its
meetings and participants, asked with the server's own secret (read-only calls). Whether it
takes new meetings is the panel's (and so BBBLB's) `enabled`."""

from dataclasses import dataclass

from flask import current_app

from panel.video.bbb_api import BbbClient, BbbError, BbbUnreachable
from panel.video.models import BbbServer

# An admin's page waits for every server in turn: a dead one must not hold it long.
STATUS_TIMEOUT = 3


@dataclass(frozen=True)
class ServerStatus:
    reachable: bool
    version: str = ""
    meetings: int = 0
    participants: int = 0
    problem: str = ""


def server_client(server: BbbServer) -> BbbClient:
    return BbbClient(
        f"https://{server.domain}/bigbluebutton/api/",
        server.secret,
        algorithm=current_app.config["VIDEO_CHECKSUM"],
        ca_file=current_app.config["VIDEO_CA_FILE"] or None,
        timeout=STATUS_TIMEOUT,
    )


def server_status(server: BbbServer) -> ServerStatus:
    try:
        with server_client(server) as client:
            version = client.version()
            meetings = client.call("getMeetings", {}).meetings()
    except (BbbUnreachable, BbbError) as exc:
        return ServerStatus(False, problem=str(exc)[:200])
    participants = sum(int(meeting.get("participantCount") or 0) for meeting in meetings)
    return ServerStatus(True, version, len(meetings), participants)
