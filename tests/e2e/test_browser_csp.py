"""The pages work under their Content-Security-Policy in a real browser: Chromium reports no
violation (no inline script, style or handler is blocked), and what scripts do still works
(the webspace filter submits itself, the job page polls its events)."""

import re

import pyotp
import pytest
from browser_support import RECORD_VIOLATIONS
from playwright.sync_api import expect

from panel.core.audit import acting
from panel.extensions import db
from panel.provisioning.operations import run_maintenance
from panel.webspaces.operations import create_webspace

pytestmark = pytest.mark.browser


@pytest.fixture
def watched(browser):
    """A browser tab that records CSP violations, from the page's events and the console."""
    context = browser.new_context(locale="en-US")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    def violations() -> list[str]:
        reported = page.evaluate("window.cspViolations || []")
        return reported + [text for text in console if "Content Security Policy" in text]

    yield page, violations
    context.close()


@pytest.fixture
def fleet(live_server):
    """A host with a webspace of a member, and a maintenance job still queued."""
    app = live_server.app
    member_id = live_server.create_member("csp")
    live_server.add_web_host()
    with app.app_context(), acting("cli"):
        from panel.coop.models import Member

        webspace, _ = create_webspace(db.session.get(Member, member_id))
        job = run_maintenance("ping", ["web1"])
        return {"webspace": webspace.id, "job": job.id}


def test_main_pages_raise_no_csp_violation(watched, live_server, fleet):
    page, violations = watched
    secret = pyotp.random_base32()
    live_server.create_user("csp-admin@example.org", "admin", totp_secret=secret)

    live_server.log_in(page, "csp-admin@example.org", totp_secret=secret)
    expect(page).to_have_url(live_server.url + "/")
    seen = {"/login": violations()}

    for path in (
        "/",
        "/admin/members",
        "/account",
        "/audit",
        "/jobs",
        f"/webspaces/{fleet['webspace']}",
        f"/webspaces/{fleet['webspace']}/usage",
        "/admin/hosts",
        "/no-such-page",
    ):
        page.goto(live_server.url + path)
        seen[path] = violations()

    # The job page's script polls the events of a job that has not ended.
    with page.expect_response(re.compile(r"/jobs/\d+/events\.json")) as polled:
        page.goto(f"{live_server.url}/jobs/{fleet['job']}")
    assert polled.value.status == 200
    seen["job"] = violations()

    # The state filter submits itself when a state is chosen.
    page.goto(live_server.url + "/webspaces")
    page.get_by_label("State").select_option("pending")
    # The form sends its (empty) search text along.
    expect(page).to_have_url(re.compile(r"/webspaces\?q=&state=pending$"))
    seen["filter"] = violations()

    assert all(not found for found in seen.values()), seen


def test_the_enrolment_page_with_its_qr_code_raises_none(watched, live_server):
    page, violations = watched
    live_server.create_user("csp-new@example.org", "admin")

    live_server.log_in(page, "csp-new@example.org")

    expect(page.locator(".qr svg")).to_be_visible()
    assert violations() == []
