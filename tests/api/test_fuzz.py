"""Schemathesis against the OpenAPI document with every check: no answer is a 5xx, every answer
has a documented status and matches its documented schema and headers, schema-violating input
is refused and schema-valid input is taken (or turned down by a business rule). One test per
operation with an admin's bearer token, and stateful runs that follow the document's links
(from a new resource to the operations that take its id) as an admin and as a member.

The requests go through the suite's app and test client, so each test runs in the rolled-back
transaction of tests/conftest.py and leaves nothing in the shared database."""

import ipaddress
import itertools
import socket
import tempfile
from datetime import date

import pytest
import schemathesis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, Phase, settings

from panel import create_app
from panel.accounts.operations import create_api_token, create_user
from panel.core.audit import acting
from panel.core.roles import Role
from panel.extensions import db
from panel.provisioning.models import Job, JobStatus
from panel.provisioning.operations import finish_job

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
CONFIG = schemathesis.Config.from_dict(
    {
        # The test sends the admin's token itself (tests/api/test_api_errors.py covers 401s).
        "generation": {"with-security-parameters": False},
        # The stateful runs follow the document's own links only, not links schemathesis
        # guesses from names (which mostly lead to ids that do not exist).
        "phases": {"stateful": {"inference": {"algorithms": []}}},
        "checks": {
            # Business rules turn some schema-valid requests down: 409 (a prefix taken, more
            # shares cancelled than held) and 422 for what the schema cannot say (control
            # characters, a name that is not the member's, a month already closed).
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
            },
            # DELETE does not make a resource vanish: a webspace or database is archived and
            # stays readable (state deleted, purge_after) and restorable for the grace period
            # (PANEL_WEBSPACE_ARCHIVE_DAYS); a domain or SFTP user stays until its job has
            # removed it from the host; a token is revoked and stays listed. So a GET after a
            # DELETE rightly answers 200.
            "use_after_free": {"enabled": False},
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
def member_token(make_member, make_host):
    """A member's token, and a webspace host with room: the member's new webspaces, and their
    domains, databases and users, are what the links lead through."""
    make_host("web1")
    member = make_member(password=None)
    with acting("cli"):
        _, clear = create_api_token(member.users[0], "fuzz")
    return clear


@pytest.fixture
def loopback_only(monkeypatch):
    """Refuses, and records, any connection or name lookup beyond the loopback interface."""
    attempts = []
    connect, sendto, getaddrinfo = socket.socket.connect, socket.socket.sendto, socket.getaddrinfo

    def leaves_loopback(address) -> bool:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not ipaddress.ip_address(host).is_loopback:
            attempts.append(address)
            return True
        return False

    def guarded_connect(sock, address):
        if leaves_loopback(address):
            raise ConnectionRefusedError(f"the fuzz test does not leave 127.0.0.1: {address}")
        return connect(sock, address)

    def guarded_sendto(sock, data, *args):
        # A DNS query goes out over UDP without connect().
        if leaves_loopback(args[-1]):
            raise ConnectionRefusedError(f"the fuzz test does not leave 127.0.0.1: {args[-1]}")
        return sendto(sock, data, *args)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in ("localhost", "127.0.0.1", "::1", None):
            attempts.append(host)
            raise socket.gaierror(f"the fuzz test looks up no names: {host}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "sendto", guarded_sendto)
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


def public_key_line() -> str:
    key = Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


# The operations that make what the links lead from get bodies they take, so that scenarios
# get past them (random bodies are nearly always refused); the test per operation above fuzzes
# these bodies. Each gets a number, unique within the scenario.
TAKEN_BODIES = {
    "POST /api/v1/members": lambda n: {
        "name": f"Fuzz {n}",
        "email": f"fuzz-{n}@example.org",
        "prefix": "z" + chr(97 + n // 26 % 26) + chr(97 + n % 26),
    },
    "POST /api/v1/members/{member_id}/shares": lambda n: {
        "kind": "subscription",
        "count": 1,
        "value_date": date.today().isoformat(),
    },
    "POST /api/v1/billing/periods": lambda n: {"month": f"{2000 + n // 12}-{n % 12 + 1:02}"},
    "POST /api/v1/webspaces": lambda n: {},
    "POST /api/v1/webspaces/{webspace_id}/domains": lambda n: {"name": f"site{n}.example.org"},
    "POST /api/v1/webspaces/{webspace_id}/databases": lambda n: {
        "engine": "mariadb",
        "name": f"db{n}",
    },
    "POST /api/v1/webspaces/{webspace_id}/sftp-users": lambda n: {
        "name": f"user{n}",
        "public_keys": [public_key_line()],
    },
    "POST /api/v1/webspaces/{webspace_id}/users": lambda n: {
        "name": f"user{n}",
        "public_keys": [public_key_line()],
    },
}


# What a successful playbook run reports (a webspace's uid; the quota, where the file system
# has one).
WORKER_DATA = {"webspace": {"uid": 2000, "quota_enforced": False}}


def follow_links(app, client, connection, token: str, scenarios: int) -> None:
    """A stateful run: scenarios of calls that follow the document's links, every check on
    every answer. Each scenario starts from the same database (Hypothesis replays scenarios,
    and a replay must meet what the first run met)."""
    headers = {"Authorization": f"Bearer {token}"}

    class Workflow(schema.as_state_machine()):
        def setup(self):
            db.session.close()
            self.savepoint = connection.begin_nested()
            self.numbers = itertools.count()

        def teardown(self):
            db.session.close()
            self.savepoint.rollback()

        def before_call(self, case):
            body = TAKEN_BODIES.get(f"{case.method} {case.path}")
            if body is not None:
                case.body = body(next(self.numbers))

        def get_call_kwargs(self, case):
            return {"session": client, "app": app, "headers": headers}

        def after_call(self, response, case):
            super().after_call(response, case)
            # The worker's part, as it would do it: the job ends successful, so that the
            # webspace is set up and its domains, databases and users can follow.
            body = response.json() if response.status_code == 202 else {}
            job = db.session.get(Job, body["job_id"]) if body.get("job_id") else None
            if job is not None and job.status == JobStatus.QUEUED:
                with acting("worker"):
                    finish_job(job, JobStatus.SUCCESSFUL, stats={"data": WORKER_DATA})
                db.session.commit()

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # As call_and_validate does: the checks learn that the token is the test's own,
            # not a generated one (which the API would have to refuse).
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=headers,
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    Workflow.run(
        settings=settings(
            max_examples=scenarios,
            stateful_step_count=6,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )


@pytest.mark.fuzz
def test_following_the_links_as_an_admin(app, client, transaction, admin_token, loopback_only):
    follow_links(app, client, transaction, admin_token, scenarios=200)


@pytest.mark.fuzz
def test_following_the_links_as_a_member(
    app, client, transaction, member_token, loopback_only, monkeypatch
):
    # New domains go live without the DNS check, which would ask a resolver elsewhere.
    monkeypatch.setitem(app.config, "DOMAIN_VERIFICATION", "off")
    follow_links(app, client, transaction, member_token, scenarios=200)
