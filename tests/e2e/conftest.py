"""End-to-end fixtures: the real app served on 127.0.0.1 with a database of its own, and a
headless Chromium (Debian's, never a downloaded one) to drive it."""

import secrets
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyotp
import pytest
from browser_support import FAKE_HOST_KEY
from flask import Flask
from werkzeug.serving import make_server

from panel import create_app
from panel.core.audit import acting
from panel.core.migrate import upgrade
from panel.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery staple"
LOGIN_LABELS = {
    "en": ("Email", "Password", "Log in", "Code from your authenticator app", "Confirm"),
    "de": ("E-Mail", "Passwort", "Anmelden", "Code aus Ihrer Authenticator-App", "Bestätigen"),
}


@pytest.fixture(autouse=True)
def transaction(request):
    """Browser tests talk to their own server and database, so the shared rolled-back session
    must stay out of their way; every other test here keeps it."""
    if request.node.get_closest_marker("browser"):
        yield None
    else:
        yield request.getfixturevalue("transaction")


@dataclass
class LiveServer:
    app: Flask
    url: str
    password: str = PASSWORD

    def log_in(self, page, email: str, *, totp_secret: str = "", lang: str = "en") -> None:
        """Through the login form, and its second step when the account has TOTP on."""
        email_label, password_label, submit, code_label, confirm = LOGIN_LABELS[lang]
        page.goto(self.url + "/login")
        page.get_by_label(email_label).fill(email)
        page.get_by_label(password_label).fill(self.password)
        page.get_by_role("button", name=submit, exact=True).click()
        if totp_secret:
            page.get_by_label(code_label).fill(pyotp.TOTP(totp_secret).now())
            page.get_by_role("button", name=confirm).click()

    def add_web_host(self, name: str = "web1") -> int:
        """A ready webspace host in the database; no worker runs, so it is never contacted."""
        from panel.hosts.models import Host, HostState

        with self.app.app_context():
            host = Host(
                name=name,
                address="198.18.0.2",
                groups=[],
                state=HostState.READY,
                capacity=100,
                host_key=FAKE_HOST_KEY,
                fingerprint="SHA256:" + "A" * 43,
            )
            db.session.add(host)
            db.session.commit()
            return host.id

    def create_user(self, email: str, role: str, *, totp_secret: str | None = None):
        """A login made through the operations, optionally with TOTP already on."""
        from panel.accounts.operations import create_user, enable_totp

        with self.app.app_context(), acting("cli"):
            user = create_user(email, role, password=PASSWORD, display_name=email.split("@")[0])
            if totp_secret:
                # A code from the previous time step, so the login's current code is fresh.
                enable_totp(user, totp_secret, pyotp.TOTP(totp_secret).at(time.time() - 30))
            return user.id

    def create_member(self, prefix: str, **fields):
        from panel.coop.operations import create_member

        fields.setdefault("name", f"Member {prefix}")
        fields.setdefault("email", f"{prefix}@example.org")
        fields.setdefault("password", PASSWORD)
        with self.app.app_context(), acting("cli"):
            return create_member(prefix=prefix, **fields).id

    def book_shares(self, member_id: int, count: int, note: str = "") -> None:
        from panel.coop.models import Member
        from panel.coop.operations import record_share_transaction

        with self.app.app_context(), acting("cli"):
            member = db.session.get(Member, member_id)
            record_share_transaction(member, "subscription", count, date.today(), note)


def wait_until_healthy(url: str, deadline_seconds: float = 10) -> None:
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def serve(folder: Path) -> Iterator[LiveServer]:
    """The real app with CSRF and rate limits on, a fresh SQLite database, on a free port."""
    database = f"sqlite:///{folder / 'panel.db'}"
    upgrade(database)
    app = create_app(
        {
            "DATABASE_URL": database,
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": secrets.token_urlsafe(32),
            # Every login here comes from 127.0.0.1; the real limit would soon refuse them.
            "LOGIN_LIMIT": "200 per minute",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        wait_until_healthy(url)
        yield LiveServer(app, url)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    yield from serve(tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
