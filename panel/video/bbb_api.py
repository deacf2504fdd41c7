"""The panel's client of the BigBlueButton API, as BBBLB and BigBlueButton servers speak it.

A call is a GET of `<base>/<call>?<query>&checksum=<digest>`, the digest a hex SHA of the call's
name, the query string exactly as sent and the shared secret
(https://docs.bigbluebutton.org/development/api/#api-security-model); every answer is XML with a
`returncode` of SUCCESS or FAILED.
"""

import hashlib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from requests.adapters import HTTPAdapter
from urllib3.util.ssl_match_hostname import CertificateError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element  # nosec B405  # a type; defusedxml parses

ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
# Seconds to connect, and to wait for an answer once connected.
TIMEOUT = (5.0, 30.0)
# Elements whose children are items of a list rather than named fields.
LISTS = frozenset({"meetings", "attendees", "recordings", "playback", "images", "breakoutRooms"})
DEFAULT_PORTS = {"http": 80, "https": 443}

Params = Mapping[str, str | int | bool]


class BbbError(Exception):
    """The API answered FAILED."""

    def __init__(self, message_key: str, message: str):
        super().__init__(f"{message_key}: {message}")
        self.message_key = message_key
        self.message = message


class BbbUnreachable(Exception):
    """No answer of the API: refused or broken connection, timeout, TLS failure, or an answer
    that is not the API's XML."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def checksum(call: str, query: str, secret: str, algorithm: str = "sha256") -> str:
    """The hex digest of call name + query string + shared secret."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown checksum algorithm {algorithm!r}, not one of {ALGORITHMS}")
    return hashlib.new(algorithm, (call + query + secret).encode()).hexdigest()


def encode_query(params: Params) -> str:
    """PARAMS as BigBlueButton decodes a query: UTF-8, form-encoded (a space as +), booleans as
    true/false."""
    return urlencode({name: _as_text(value) for name, value in params.items()})


def _as_text(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class BbbResponse:
    """An answer of the API; `data` holds its elements as plain dicts, lists and strings."""

    returncode: str
    message_key: str
    message: str
    data: dict[str, Any]

    def meetings(self) -> list[dict[str, Any]]:
        """getMeetings' meetings."""
        return self._items("meetings")

    def attendees(self) -> list[dict[str, Any]]:
        """getMeetingInfo's attendees."""
        return self._items("attendees")

    def recordings(self) -> list[dict[str, Any]]:
        """getRecordings' recordings, each with its metadata (a dict) and playback formats (a
        list)."""
        return self._items("recordings")

    def _items(self, name: str) -> list[dict[str, Any]]:
        items = self.data.get(name)
        return items if isinstance(items, list) else []


def parse_answer(body: bytes) -> BbbResponse:
    """The API's answer in BODY; BbbUnreachable when it is not one."""
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise BbbUnreachable(f"the answer is not XML ({type(exc).__name__})") from None
    returncode = root.findtext("returncode")
    if root.tag != "response" or not returncode:
        raise BbbUnreachable("the answer is XML, but no response of the BigBlueButton API")
    return BbbResponse(
        returncode=returncode.strip(),
        message_key=(root.findtext("messageKey") or "").strip(),
        message=(root.findtext("message") or "").strip(),
        data={child.tag: _plain(child) for child in root},
    )


def _plain(element: "Element") -> Any:
    children = list(element)
    if element.tag in LISTS:
        return [_plain(child) for child in children]
    if not children:
        return (element.text or "").strip()
    return {child.tag: _plain(child) for child in children}


class BbbClient:
    """Signed calls to one API endpoint (`https://host/bigbluebutton/api`, for BBBLB the same
    path on a tenant's host name).

    CONNECT_TO (`address[:port]`) sends the calls to that address instead of the one the URL's
    host name resolves to, while the Host header, TLS SNI and the certificate check keep the
    host name: BBBLB picks the tenant by Host, and a small installation has no DNS for them.
    CA_FILE is the CA bundle certificates are checked against (default: the system's)."""

    def __init__(
        self,
        base_url: str,
        secret: str,
        algorithm: str = "sha256",
        *,
        connect_to: str | None = None,
        ca_file: str | None = None,
        timeout: float | tuple[float, float] = TIMEOUT,
    ):
        if algorithm not in ALGORITHMS:
            raise ValueError(f"unknown checksum algorithm {algorithm!r}, not one of {ALGORITHMS}")
        self.base_url = base_url.rstrip("/")
        self.algorithm = algorithm
        self.timeout = timeout
        self._secret = secret
        self._session = http_session(self.base_url, connect_to=connect_to, ca_file=ca_file)

    def __enter__(self) -> "BbbClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def url(self, call: str, params: Params | None = None) -> str:
        """The signed URL of CALL, such as what a browser opens to join."""
        query = encode_query(params or {})
        digest = checksum(call, query, self._secret, self.algorithm)
        return f"{self.base_url}/{call}?{query}{'&' if query else ''}checksum={digest}"

    def call(self, call: str, params: Params | None = None) -> BbbResponse:
        """CALL's answer; BbbError when it is FAILED."""
        return _succeeded(self._get(self.url(call, params)))

    def version(self) -> str:
        """The API version the endpoint's root names."""
        version = _succeeded(self._get(f"{self.base_url}/")).data.get("version")
        if not isinstance(version, str) or not version:
            raise BbbUnreachable("the API's root names no version")
        return version

    def _get(self, url: str) -> BbbResponse:
        try:
            answer = self._session.get(url, timeout=self.timeout, allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            raise BbbUnreachable(f"TLS with {self._origin} failed: {_root_cause(exc)}") from None
        except requests.exceptions.Timeout as exc:
            raise BbbUnreachable(f"{self._origin} timed out: {_root_cause(exc)}") from None
        except requests.exceptions.RequestException as exc:
            raise BbbUnreachable(f"{self._origin} not reached: {_root_cause(exc)}") from None
        return parse_answer(answer.content)

    @property
    def _origin(self) -> str:
        return urlsplit(self.base_url).netloc


def _succeeded(response: BbbResponse) -> BbbResponse:
    if response.returncode != "SUCCESS":
        raise BbbError(response.message_key, response.message)
    return response


def _root_cause(exc: BaseException) -> str:
    """The innermost error behind a requests exception, whose text names no URL: requests'
    and urllib3's own texts quote the URL with its query, which may hold passwords."""
    current: BaseException = exc
    for _ in range(10):
        if isinstance(current, ssl.SSLError | CertificateError):
            break
        inner = getattr(current, "reason", None) or current.__cause__ or current.__context__
        if inner is None and current.args and isinstance(current.args[0], BaseException):
            inner = current.args[0]
        if not isinstance(inner, BaseException):
            break
        current = inner
    if isinstance(current, requests.exceptions.RequestException):
        return type(current).__name__
    return f"{type(current).__name__}: {current}"


def http_session(
    url: str, *, connect_to: str | None = None, ca_file: str | None = None
) -> requests.Session:
    """A requests session that checks certificates (against CA_FILE when given) and, with
    CONNECT_TO, sends what is meant for URL's host to that address, keeping the host name for
    the Host header, SNI and the certificate check. Verification is never switched off."""
    session = _CheckingSession()
    session.verify = ca_file or True
    if connect_to:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        address = _address(connect_to, port)
        # A proxy from the environment would connect elsewhere than the address given.
        session.trust_env = False
        session.mount(
            f"{parts.scheme}://{parts.netloc}/",
            _PinnedAddressAdapter(parts.hostname, parts.netloc, address),
        )
    return session


class _CheckingSession(requests.Session):
    """A session whose certificate check is its own: neither a caller nor the environment
    (requests lets REQUESTS_CA_BUNDLE replace a session's CA file) changes it or turns it off."""

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs["verify"] = self.verify
        return super().request(method, url, *args, **kwargs)


def _address(connect_to: str, default_port: int) -> str:
    """CONNECT_TO (`host`, `host:port`, `[v6]` or `[v6]:port`) as a netloc with a port."""
    parts = urlsplit(f"//{connect_to}")
    if not parts.hostname or parts.path or parts.query or parts.username:
        raise ValueError(f"not an address[:port]: {connect_to!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{parts.port or default_port}"


class _PinnedAddressAdapter(HTTPAdapter):
    """Sends the requests for one host to a fixed address: the connection goes there, while the
    Host header, TLS SNI and the certificate's name check keep the host name."""

    def __init__(self, host_name: str, netloc: str, address: str):
        self._host_name = host_name
        self._netloc = netloc
        self._address = address
        super().__init__()

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs.update(server_hostname=self._host_name, assert_hostname=self._host_name)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        parts = urlsplit(request.url)
        request.url = urlunsplit(parts._replace(netloc=self._address))
        request.headers["Host"] = self._netloc
        return super().send(request, *args, **kwargs)
