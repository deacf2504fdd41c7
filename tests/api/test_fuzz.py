"""Schemathesis against the OpenAPI document, with an admin's bearer token: no answer is a 5xx,
every answer has a documented status and matches its documented schema and headers, and
schema-violating input is refused.

The requests go through the suite's app and test client, so each test (one per operation) runs
in the rolled-back transaction of tests/conftest.py and leaves nothing in the shared database."""

import ipaddress
import socket
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from panel import create_app
from panel.accounts.operations import create_api_token, create_user
from panel.core.audit import acting
from panel.core.roles import Role

# Only the document is read from this app, at collection time; schemathesis' lazy loading
# from a fixture does not work with this pytest.
_document_app = create_app(
    {
        "TESTING": True,
        "DATABASE_URL": "sqlite://",
        "SECRET_KEY": "document only",
        "INSTANCE_PATH": tempfile.gettempdir(),
    }
)
# Registering a host scans it over SSH: random addresses must never be contacted.
CONFIG = schemathesis.Config.from_dict(
    {
        # The test sends the admin's token itself (tests/api/test_api_errors.py covers 401s).
        "generation": {"with-security-parameters": False},
        "checks": {
            # Business rules turn some schema-valid requests down (409/422: a prefix taken,
            # more shares cancelled than held), so that check cannot hold here.
            "positive_data_acceptance": {"enabled": False},
            # A body over the size limit is refused before it is read.
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 409, 413, 415, 422]
            },
        },
    }
)
# Registering a host scans it over SSH: random addresses must never be contacted.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", _document_app, config=CONFIG
).exclude(method="POST", path="/api/v1/hosts")


@pytest.fixture
def admin_token():
    # Without a password: the token is all this admin needs, and hashing one takes time.
    with acting("cli"):
        admin = create_user("fuzz-admin@example.org", Role.ADMIN)
        _, clear = create_api_token(admin, "fuzz")
    return clear


@pytest.fixture
def loopback_only(monkeypatch):
    """Refuses, and records, any connection or name lookup beyond the loopback interface."""
    attempts = []
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not ipaddress.ip_address(host).is_loopback:
            attempts.append(address)
            raise ConnectionRefusedError(f"the fuzz test does not leave 127.0.0.1: {address}")
        return connect(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in ("localhost", "127.0.0.1", "::1", None):
            attempts.append(host)
            raise socket.gaierror(f"the fuzz test looks up no names: {host}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield
    assert attempts == []


@pytest.mark.fuzz
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, app, client, admin_token, loopback_only):
    case.call_and_validate(
        session=client,
        app=app,
        headers={"Authorization": f"Bearer {admin_token}"},
    )
