"""A BigBlueButton server double for the tests. It is NOT BigBlueButton: no media, no client, no
recording processing; it answers the documented API (https://docs.bigbluebutton.org/development/api/)
the way a BigBlueButton server does for what a load balancer such as BBBLB and the panel use:
checksums checked as BBB checks them, answers shaped like BBB's XML, state in memory.

A real HTTP(S) server in a thread (`with BbbDouble(secret) as bbb:`). Tests read and change its
state directly: `meetings` (running or waiting for their first user, by meetingID), `ended`,
`recordings` (by recordID), `seen` (every API request with its Host header and TLS SNI name),
`leave()` and `add_recording()`; `upload_recording()` hands a recording to BBBLB as BBBLB's
post_publish script does on a BBB server.
"""

import hashlib
import hmac
import http.server
import re
import secrets
import ssl
import sys
import threading
from collections.abc import Iterable, Mapping
from html import escape
from urllib.parse import parse_qs, quote_plus, urlsplit
from xml.etree.ElementTree import Element

import requests
from bbb_double_state import (
    Attendee,
    Meeting,
    PlaybackFormat,
    Recording,
    SeenRequest,
    now_ms,
)
from bbb_double_xml import (
    creation_fields,
    meeting_element,
    recording_element,
    response,
    xml_bytes,
)
from bbb_recording_upload import upload

API_PATH = "/bigbluebutton/api"
CLIENT_PATH = "/html5client/join"
ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
# BBB picks the algorithm by the checksum's length, then refuses it unless it is supported.
ALGORITHM_BY_LENGTH = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
# BBB keeps meta_ parameters whose name matches this, lowercased (ParamsProcessorUtil).
META_PARAMETER = re.compile(r"meta_([a-zA-Z][a-zA-Z0-9-]*)")
ROLES = ("MODERATOR", "VIEWER")
# States getRecordings looks at when asked for none.
DEFAULT_STATES = ("published", "unpublished")


class Failed(Exception):
    """A FAILED answer with BBB's messageKey."""

    def __init__(self, message_key: str, message: str):
        super().__init__(message_key)
        self.message_key = message_key
        self.message = message


class BbbDouble:
    """The double's state and API; `start()` serves it, `stop()` ends the server."""

    def __init__(
        self,
        secret: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        domain: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        algorithms: Iterable[str] = ALGORITHMS,
        version: str = "2.0",
    ):
        self.secret = secret
        self.host = host
        self.port = port
        # The host name in URLs the double hands out (join redirects, playback links).
        self.domain = domain or host
        self.algorithms = tuple(algorithms)
        self.version = version
        self.meetings: dict[str, Meeting] = {}
        self.ended: list[Meeting] = []
        self.recordings: dict[str, Recording] = {}
        self.seen: list[SeenRequest] = []
        self.lock = threading.RLock()
        self._tls: ssl.SSLContext | None = None
        if cert_file:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(cert_file, key_file)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def scheme(self) -> str:
        return "https" if self._tls else "http"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.domain}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}{API_PATH}"

    def start(self) -> "BbbDouble":
        self._server = _Server((self.host, self.port), self, self._tls)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> "BbbDouble":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # What tests do besides calling the API.

    def leave(self, meeting_id: str, user_id: str) -> None:
        """The attendee USER_ID leaves the meeting (closes the client)."""
        with self.lock:
            del self.meetings[meeting_id].attendees[user_id]

    def add_recording(
        self,
        meeting_id: str,
        *,
        participants: int | None = None,
        duration_ms: int | None = None,
        published: bool = True,
    ) -> Recording:
        """The recording of the last ended meeting MEETING_ID, as BBB's processing makes it:
        one presentation playback format."""
        with self.lock:
            meeting = next(m for m in reversed(self.ended) if m.meeting_id == meeting_id)
            start = meeting.start_time or meeting.create_time
            end = start + duration_ms if duration_ms is not None else meeting.end_time
            record_id = meeting.internal_id
            recording = Recording(
                record_id=record_id,
                meeting_id=meeting.meeting_id,
                internal_meeting_id=meeting.internal_id,
                name=meeting.name,
                start_time=start,
                end_time=end,
                participants=(
                    len(meeting.joined_user_ids) if participants is None else participants
                ),
                metadata={
                    **meeting.metadata,
                    "isBreakout": "false",
                    "meetingId": meeting.meeting_id,
                    "meetingName": meeting.name,
                },
                state="published" if published else "unpublished",
                raw_size=4096,
                formats=[
                    PlaybackFormat(
                        type="presentation",
                        url=f"{self.origin}/playback/presentation/2.3/{record_id}",
                        processing_time=1500,
                        duration_ms=end - start,
                        size=2048,
                    )
                ],
            )
            self.recordings[record_id] = recording
            return recording

    def upload_recording(
        self,
        bbblb_url: str,
        bbblb_domain: str,
        server_domain: str,
        recording: Recording,
        ca_file: str | None = None,
        connect_to: str | None = None,
    ) -> requests.Response:
        """Uploads RECORDING to BBBLB as BBBLB's post_publish script does on a BBB server."""
        return upload(
            bbblb_url,
            bbblb_domain,
            server_domain,
            self.secret,
            recording,
            ca_file=ca_file,
            connect_to=connect_to,
        )

    # The API.

    def answer(self, call: str, raw_query: str, form_body: str | None) -> tuple[int, dict, bytes]:
        """Status, headers and body of the API's answer to CALL."""
        try:
            params = self._checked_params(call, raw_query, form_body)
            handler = _CALLS.get(call)
            if handler is None:
                raise Failed("unsupportedRequest", "This request is not supported.")
            with self.lock:
                result = handler(self, params)
        except Failed as failure:
            result = response(
                "FAILED", {"messageKey": failure.message_key, "message": failure.message}
            )
        if isinstance(result, str):
            return 302, {"Location": result}, b""
        return 200, {"Content-Type": "text/xml;charset=utf-8"}, xml_bytes(result)

    def root(self) -> bytes:
        return xml_bytes(response("SUCCESS", {"version": self.version, "apiVersion": self.version}))

    def client_page(self, raw_query: str) -> bytes | None:
        """The "client" a join redirects to: a small page naming the attendee, None for an
        unknown session token."""
        token = _first_values(raw_query).get("sessionToken", "")
        with self.lock:
            for meeting in self.meetings.values():
                for attendee in meeting.attendees.values():
                    if token and hmac.compare_digest(attendee.session_token, token):
                        return (
                            "<!doctype html><title>BigBlueButton test double</title>"
                            f"<p>{escape(attendee.full_name)} ({attendee.role}) in "
                            f"{escape(meeting.name)}</p>"
                        ).encode()
        return None

    def _checked_params(self, call: str, raw_query: str, form_body: str | None) -> dict[str, str]:
        """The call's parameters once its checksum passed, as BBB checks it: over the query
        string as sent (a POST's form parameters re-encoded in sorted order), the algorithm
        chosen by the checksum's length and refused unless supported."""
        if raw_query:
            params = _first_values(raw_query)
            signed = raw_query
        else:
            params = _first_values(form_body or "")
            signed = "&".join(
                f"{name}={_java_url_encode(value)}"
                for name, value in sorted(params.items())
                if name != "checksum"
            )
        given = params.pop("checksum", "")
        if not given:
            raise Failed("checksumError", "You must provide the checksum")
        for text in (f"&checksum={given}", f"checksum={given}&", f"checksum={given}"):
            signed = signed.replace(text, "")
        algorithm = ALGORITHM_BY_LENGTH.get(len(given))
        if algorithm not in self.algorithms:
            raise Failed("checksumError", "Checksums do not match")
        expected = hashlib.new(algorithm, (call + signed + self.secret).encode()).hexdigest()
        if not hmac.compare_digest(expected, given.lower()):
            raise Failed("checksumError", "Checksums do not match")
        return params

    def _meeting(self, params: Mapping[str, str]) -> Meeting:
        meeting_id = _required(params, "meetingID", "You must specify a meeting ID.")
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            raise Failed(
                "notFound",
                "We could not find a meeting with that meeting ID - perhaps the meeting is not "
                "yet running?",
            )
        return meeting

    def _create(self, params: dict[str, str]) -> Element:
        meeting_id = _required(params, "meetingID", "You must specify a meeting ID.")
        name = _required(params, "name", "You must specify a name for the meeting.")
        if not 2 <= len(meeting_id) <= 256:
            raise Failed("sizeError", "Meeting ID must be between 2 and 256 characters")
        existing = self.meetings.get(meeting_id)
        if existing:
            for parameter, value in (
                ("moderatorPW", existing.moderator_pw),
                ("attendeePW", existing.attendee_pw),
            ):
                if parameter in params and params[parameter] != value:
                    raise Failed(
                        "idNotUnique",
                        "A meeting already exists with that meeting ID. Please use a different "
                        "meeting ID.",
                    )
            return response(
                "SUCCESS",
                creation_fields(existing),
                message_key="duplicateWarning",
                message="This conference was already in existence and may currently be in "
                "progress.",
            )
        created = now_ms()
        meeting = Meeting(
            meeting_id=meeting_id,
            internal_id=f"{hashlib.sha1(meeting_id.encode()).hexdigest()}-{created}",  # noqa: S324  # BBB's scheme
            name=name,
            create_time=created,
            record=params.get("record", "false").lower() == "true",
            max_participants=_integer(params, "maxParticipants"),
            duration=_integer(params, "duration"),
            guest_policy=params.get("guestPolicy", "ALWAYS_ACCEPT"),
            mute_on_start=params.get("muteOnStart", "false").lower() == "true",
            moderator_pw=params.get("moderatorPW") or secrets.token_urlsafe(6),
            attendee_pw=params.get("attendeePW") or secrets.token_urlsafe(6),
            voice_bridge=params.get("voiceBridge") or str(70000 + secrets.randbelow(10000)),
            metadata={
                match.group(1).lower(): value
                for key, value in params.items()
                if (match := META_PARAMETER.fullmatch(key))
            },
        )
        self.meetings[meeting_id] = meeting
        return response("SUCCESS", creation_fields(meeting))

    def _join(self, params: dict[str, str]) -> Element | str:
        meeting_id = _required(params, "meetingID", "You must specify a meeting ID.")
        full_name = _required(
            params,
            "fullName",
            "You must specify a name for the attendee who will be joining the meeting.",
        )
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            if any(m.meeting_id == meeting_id for m in self.ended):
                raise Failed(
                    "meetingForciblyEnded",
                    "You can not re-join a meeting that has already been forcibly ended.",
                )
            raise Failed(
                "invalidMeetingIdentifier",
                "The meeting ID that you supplied did not match any existing meetings",
            )
        role = _role(meeting, params)
        user_id = params.get("userID") or f"w_{secrets.token_hex(6)}"
        rejoining = user_id in meeting.attendees
        if 0 < meeting.max_participants <= len(meeting.attendees) and not rejoining:
            raise Failed(
                "maxParticipantsReached",
                "The number of participants allowed for this meeting has been reached.",
            )
        attendee = Attendee(
            user_id=user_id,
            internal_user_id=f"w_{secrets.token_hex(6)}",
            full_name=full_name,
            role=role,
            session_token=secrets.token_hex(8),
        )
        meeting.attendees[user_id] = attendee
        meeting.joined_user_ids.add(user_id)
        meeting.start_time = meeting.start_time or now_ms()
        client_url = f"{self.origin}{CLIENT_PATH}?sessionToken={attendee.session_token}"
        if params.get("redirect", "true").lower() != "false":
            return client_url
        return response(
            "SUCCESS",
            {
                "meeting_id": meeting.internal_id,
                "user_id": attendee.internal_user_id,
                "auth_token": secrets.token_hex(6),
                "session_token": attendee.session_token,
                "url": client_url,
            },
            message_key="successfullyJoined",
            message="You have joined successfully.",
        )

    def _end(self, params: dict[str, str]) -> Element:
        meeting = self._meeting(params)
        meeting.end_time = now_ms()
        meeting.forcibly_ended = True
        meeting.attendees.clear()
        del self.meetings[meeting.meeting_id]
        self.ended.append(meeting)
        return response(
            "SUCCESS",
            {},
            message_key="sentEndMeetingRequest",
            message="A request to end the meeting was sent.  Please wait a few seconds, and then "
            "use the getMeetingInfo or isMeetingRunning API calls to verify that it was ended.",
        )

    def _is_meeting_running(self, params: dict[str, str]) -> Element:
        meeting_id = _required(params, "meetingID", "You must specify a meeting ID.")
        meeting = self.meetings.get(meeting_id)
        return response("SUCCESS", {"running": bool(meeting and meeting.running)})

    def _get_meeting_info(self, params: dict[str, str]) -> Element:
        answer = response("SUCCESS", {})
        answer.extend(list(meeting_element(self._meeting(params))))
        return answer

    def _get_meetings(self, params: dict[str, str]) -> Element:
        meetings = Element("meetings")
        meetings.extend(meeting_element(meeting) for meeting in self.meetings.values())
        if not self.meetings:
            return response(
                "SUCCESS",
                {"meetings": meetings},
                message_key="noMeetings",
                message="no meetings were found on this server",
            )
        return response("SUCCESS", {"meetings": meetings})

    def _get_recordings(self, params: dict[str, str]) -> Element:
        meeting_ids = _list(params.get("meetingID", ""))
        record_ids = _list(params.get("recordID", ""))
        states = _list(params.get("state", "")) or list(DEFAULT_STATES)
        meta = {
            match.group(1).lower(): value
            for key, value in params.items()
            if (match := META_PARAMETER.fullmatch(key))
        }
        found = [
            recording
            for recording in self.recordings.values()
            if (not meeting_ids or recording.meeting_id in meeting_ids)
            # A record ID also matches by its prefix: the internal meeting ID without the time.
            and (not record_ids or any(recording.record_id.startswith(r) for r in record_ids))
            and ("any" in states or recording.state in states)
            and all(recording.metadata.get(key) == value for key, value in meta.items())
        ]
        recordings = Element("recordings")
        recordings.extend(recording_element(recording) for recording in found)
        if not found:
            return response(
                "SUCCESS",
                {"recordings": recordings},
                message_key="noRecordings",
                message="There are no recordings for the meeting(s).",
            )
        return response("SUCCESS", {"recordings": recordings})

    def _named_recordings(self, params: dict[str, str]) -> list[Recording]:
        record_ids = _list(_required(params, "recordID", "You must specify a recordID."))
        found = [self.recordings[r] for r in record_ids if r in self.recordings]
        if not found:
            raise Failed("notFound", "We could not find recordings")
        return found

    def _publish_recordings(self, params: dict[str, str]) -> Element:
        publish = params.get("publish", "").lower()
        if publish not in ("true", "false"):
            raise Failed("missingParamPublish", "You must specify a publish value true or false.")
        for recording in self._named_recordings(params):
            recording.state = "published" if publish == "true" else "unpublished"
        return response("SUCCESS", {"published": publish == "true"})

    def _update_recordings(self, params: dict[str, str]) -> Element:
        for recording in self._named_recordings(params):
            if "protect" in params:
                recording.protected = params["protect"].lower() == "true"
            for key, value in params.items():
                if match := META_PARAMETER.fullmatch(key):
                    if value:
                        recording.metadata[match.group(1).lower()] = value
                    else:
                        recording.metadata.pop(match.group(1).lower(), None)
        return response("SUCCESS", {"updated": True})

    def _delete_recordings(self, params: dict[str, str]) -> Element:
        for recording in self._named_recordings(params):
            recording.state = "deleted"
        return response("SUCCESS", {"deleted": True})


_CALLS = {
    "create": BbbDouble._create,
    "join": BbbDouble._join,
    "end": BbbDouble._end,
    "isMeetingRunning": BbbDouble._is_meeting_running,
    "getMeetingInfo": BbbDouble._get_meeting_info,
    "getMeetings": BbbDouble._get_meetings,
    "getRecordings": BbbDouble._get_recordings,
    "publishRecordings": BbbDouble._publish_recordings,
    "updateRecordings": BbbDouble._update_recordings,
    "deleteRecordings": BbbDouble._delete_recordings,
}


def _role(meeting: Meeting, params: Mapping[str, str]) -> str:
    """The role a join asks for: `role`, or the legacy password it gives."""
    role = params.get("role", "").upper()
    if role in ROLES:
        return role
    password = params.get("password")
    if password and hmac.compare_digest(password, meeting.moderator_pw):
        return "MODERATOR"
    if password and hmac.compare_digest(password, meeting.attendee_pw):
        return "VIEWER"
    raise Failed(
        "invalidPassword",
        "You either did not supply a password or the password supplied is neither the "
        "attendee or moderator password for this conference.",
    )


def _required(params: Mapping[str, str], name: str, message: str) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise Failed(f"missingParam{name[0].upper()}{name[1:]}", message)
    return value


def _integer(params: Mapping[str, str], name: str) -> int:
    try:
        return int(params.get(name, "0"))
    except ValueError:
        raise Failed("validationError", f"{name} must be an integer") from None


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _first_values(query: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(query, keep_blank_values=True).items()}


def _java_url_encode(value: str) -> str:
    """java.net.URLEncoder's form encoding, which BBB re-encodes POST parameters with."""
    return quote_plus(value, safe="*").replace("~", "%7E")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], double: BbbDouble, tls: ssl.SSLContext | None):
        self.double = double
        self.tls = tls
        if tls:
            tls.sni_callback = _remember_server_name
        super().__init__(address, _Handler)

    def get_request(self):
        connection, address = super().get_request()
        if self.tls:
            # The handshake happens in the request's thread (_Handler.setup), so that a client
            # that never finishes it holds up nobody else.
            connection = self.tls.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, address

    def handle_error(self, request, client_address):
        """Clients that refuse the double's certificate or hang up are part of the tests; any
        other error is the double's and shows."""
        if not isinstance(sys.exc_info()[1], ssl.SSLError | ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def _remember_server_name(connection, server_name, _context) -> None:
    connection.sni_name = server_name


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    timeout = 10
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def log_message(self, format, *args) -> None:
        """Quiet: the tests read `seen` instead."""

    def do_GET(self) -> None:
        self._serve(None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        form = self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
        self._serve(body.decode() if form else None)

    def _serve(self, form_body: str | None) -> None:
        double = self.server.double
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/")
        if path == API_PATH:
            self._send(200, {"Content-Type": "text/xml;charset=utf-8"}, double.root())
        elif path.startswith(f"{API_PATH}/") and "/" not in path[len(API_PATH) + 1 :]:
            call = path[len(API_PATH) + 1 :]
            with double.lock:
                double.seen.append(
                    SeenRequest(
                        call,
                        _first_values(parts.query or form_body or ""),
                        self.headers.get("Host", ""),
                        getattr(self.request, "sni_name", None),
                    )
                )
            self._send(*double.answer(call, parts.query, form_body))
        elif path == CLIENT_PATH and (page := double.client_page(parts.query)) is not None:
            self._send(200, {"Content-Type": "text/html;charset=utf-8"}, page)
        else:
            self._send(404, {"Content-Type": "text/plain"}, b"not found\n")

    def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
