"""A member watches a new webspace being set up: the page shows the job's step with a spinner
and updates by itself, without a reload, until the webspace is active; under the CSP."""

import re

import pytest
from browser_support import RECORD_VIOLATIONS
from playwright.sync_api import expect

from panel.coop.models import Member
from panel.core.audit import acting
from panel.extensions import db
from panel.provisioning.models import Job, JobEvent, JobStatus
from panel.provisioning.operations import finish_job
from panel.webspaces.operations import create_webspace

pytestmark = pytest.mark.browser


@pytest.fixture
def pending_webspace(live_server):
    """A member's webspace whose set-up job is queued (no worker runs here)."""
    app = live_server.app
    member_id = live_server.create_member("liv")
    live_server.add_web_host()
    with app.app_context(), acting("cli"):
        webspace, job = create_webspace(db.session.get(Member, member_id))
        return webspace.id, job.id


def test_the_webspace_page_follows_its_job_until_it_settles(browser, live_server, pending_webspace):
    webspace_id, job_id = pending_webspace
    context = browser.new_context(locale="en-US")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(10_000)
    live_server.log_in(page, "liv@example.org")
    expect(page).to_have_url(live_server.url + "/")

    page.goto(f"{live_server.url}/webspaces/{webspace_id}")
    live = page.locator("main > .live")
    expect(live.locator(".state")).to_have_text("pending")
    expect(live.locator(".spinner")).to_be_visible()
    expect(live.locator(".step")).to_have_text("queued")
    loaded = page.evaluate("performance.timeOrigin")

    app = live_server.app
    with app.app_context():
        job = db.session.get(Job, job_id)
        job.status = JobStatus.RUNNING
        db.session.add(
            JobEvent(job_id=job_id, counter=1, event="playbook_on_task_start", task="Make home")
        )
        db.session.commit()
    expect(live.locator(".step")).to_have_text("Task 1: Make home")

    with app.app_context(), acting("worker"):
        finish_job(db.session.get(Job, job_id), JobStatus.SUCCESSFUL, stats={"data": {}})
        db.session.commit()
    expect(live.locator(".state")).to_have_text("active")
    expect(live.locator(".spinner")).to_have_count(0)
    expect(live).not_to_have_attribute("hx-trigger", re.compile("every"))

    # The same page all along: htmx swapped the part, nothing reloaded it.
    assert page.evaluate("performance.timeOrigin") == loaded
    assert page.evaluate("window.cspViolations") == []
    context.close()
