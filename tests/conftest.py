"""Test setup: one migrated database per run (SQLite, or PostgreSQL when
PANEL_TEST_DATABASE_URL says so), every test inside a transaction that is rolled back."""

import os
import re
import secrets
import uuid
from contextlib import contextmanager
from datetime import date

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from scratch_databases import fresh_postgres
from sqlalchemy import event
from sqlalchemy.orm import scoped_session, sessionmaker
from webspace_jobs import succeed

from panel import create_app
from panel.core.audit import acting
from panel.core.migrate import upgrade
from panel.core.models import utcnow
from panel.extensions import db, limiter
from panel.hosts.models import Host, HostState
from panel.webspaces import operations as webspace_operations

PASSWORD = "correct horse battery staple"
pytest_plugins = ["smtp_support"]
# What the test transaction makes of the commits of the code under test.
SAVEPOINTS = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """argon2id at its lowest cost: the tests make thousands of accounts, and the production
    cost (some 0.13 s of CPU a hash) would be most of the suite's time. Hashes keep their
    parameters, so verifying works across both; the live panels of the host tests keep theirs.
    Gives the production hasher and dummy hash."""
    from argon2 import PasswordHasher

    from panel.accounts import passwords

    production = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("not a password of anybody")
    yield production
    passwords._hasher, passwords._DUMMY_HASH = production


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    wanted = os.environ.get("PANEL_TEST_DATABASE_URL", "")
    if wanted.startswith("postgresql"):
        url, drop = fresh_postgres(wanted)
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'panel.db'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    upgrade(database_url)
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "panel.test",
            "BASE_URL": "http://panel.test",
        }
    )
    application.test_client_class = IsolatedClient
    yield application
    with application.app_context():
        db.engine.dispose()


class IsolatedClient(FlaskClient):
    """Each request gets an app context of its own (fresh g, fresh session), as in production,
    while the test keeps its own context open for direct database access."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def transaction(request):
    """Run the test in a transaction that is rolled back; commits become savepoints. Tests on
    testbed hosts talk to a live panel with a database of its own, so the shared session stays
    out of their way."""
    if request.node.get_closest_marker("testbed"):
        yield None
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain Session: flask-sqlalchemy's own would pick the engine over this connection.
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        limiter.reset()
        try:
            yield connection
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_member():
    from panel.coop.operations import create_member

    counter = iter(range(26 * 26 * 26))

    def make(prefix: str | None = None, **fields):
        if prefix is None:
            number = next(counter)
            prefix = "".join(chr(97 + (number // 26**i) % 26) for i in (2, 1, 0))
            prefix = "q" + prefix[1:]
        fields.setdefault("name", f"Member {prefix}")
        fields.setdefault("email", f"{prefix}@example.org")
        fields.setdefault("password", PASSWORD)
        with acting("cli"):
            return create_member(prefix=prefix, **fields)

    return make


@pytest.fixture
def make_user(make_member):
    from panel.accounts.operations import create_user, find_user_by_email
    from panel.core.roles import Role

    def make(role: str = "member", email: str | None = None, reseller=None, **kwargs):
        if role in (Role.MEMBER, Role.RESELLER):
            member = make_member(**({"email": email} if email else {}))
            user = member.users[0]
            if role == Role.RESELLER:
                user.role = Role.RESELLER
                db.session.commit()
            return user
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.org"
        with acting("cli"):
            create_user(email, role, password=PASSWORD, reseller=reseller, **kwargs)
        return find_user_by_email(email)

    return make


def login(client: FlaskClient, user) -> FlaskClient:
    """Log the user in on this client without the login form (which has tests of its own)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def login_as(app, make_user):
    def log_in(user_or_role="member", **kwargs):
        user = make_user(user_or_role, **kwargs) if isinstance(user_or_role, str) else user_or_role
        return login(app.test_client(), user), user

    return log_in


@pytest.fixture
def api_as(app, make_user):
    """A client that sends a bearer token of the given user (or a new user of the role)."""
    from panel.accounts.operations import create_api_token

    def client_for(user_or_role="member", **kwargs):
        user = make_user(user_or_role, **kwargs) if isinstance(user_or_role, str) else user_or_role
        with acting("cli", user):
            _, clear = create_api_token(user, "test")
        test_client = app.test_client()
        test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {clear}"
        return test_client, user

    return client_for


@pytest.fixture
def today():
    return date.today()


# A syntactically valid ed25519 key line; these hosts are never contacted.
FAKE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


@pytest.fixture
def make_host():
    def make(
        name: str,
        groups: list[str] | None = None,
        state: str = HostState.READY,
        capacity: int = 100,
    ) -> Host:
        host = Host(
            name=name,
            address="198.18.0.2",
            groups=groups or [],
            state=state,
            capacity=capacity,
            host_key=FAKE_KEY,
            fingerprint="SHA256:" + "A" * 43,
            onboarded_at=utcnow() if state == HostState.READY else None,
        )
        db.session.add(host)
        db.session.commit()
        return host

    return make


@pytest.fixture
def scratch_database_url(tmp_path):
    """A fresh, empty database of the suite's kind (SQLite file or PostgreSQL database)."""
    wanted = os.environ.get("PANEL_TEST_DATABASE_URL", "")
    if not wanted.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url, drop = fresh_postgres(wanted)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """Another app on a database of its own; while it runs, db.session is flask-sqlalchemy's
    own again (the suite's session is bound to the test transaction of the shared database)."""
    from panel import create_app
    from panel.extensions import db

    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    made = []

    def make(database_url: str, **config):
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "INSTANCE_PATH": str(tmp_path / f"instance{len(made)}"),
                "SECRET_KEY": "scratch-secret",
                **config,
            }
        )
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def web_host(make_host):
    return make_host("web1")


@pytest.fixture
def make_webspace(web_host):
    """An active webspace of the member (its set-up job ended successful)."""

    def make(member):
        with acting("cli"):
            webspace, job = webspace_operations.create_webspace(member)
            succeed(job, {"webspace": {"uid": 2000, "quota_enforced": False}})
        return webspace

    return make


@pytest.fixture
def sql_statements():
    """A context manager giving the list of SQL statements sent to the database inside it, on
    one line each; the savepoints of the test transaction are left out."""

    @contextmanager
    def recording():
        statements: list[str] = []

        def seen(conn, cursor, statement, parameters, context, executemany):
            if not SAVEPOINTS.match(statement):
                statements.append(" ".join(statement.split()))

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)

    return recording
