"""A member on a phone, in German: a failed webspace in plain German words with a retry that
is in reach and starts the change again (live, with its spinner), no raw SSH text; a
certificate's date and the quota in the locale's formats."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from panel.coop.models import Member
from panel.core.audit import acting
from panel.extensions import db
from panel.provisioning.models import JobStatus
from panel.provisioning.operations import finish_job
from panel.webspaces import domains
from panel.webspaces.models import State
from panel.webspaces.operations import create_webspace

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
RAW = (
    "unreachable: web1: web1: Task failed: Failed to connect to the host via ssh:"
    " root@127.0.0.1: Permission denied (publickey,password)"
)


@pytest.fixture
def webspaces_of_a_member(live_server):
    """Two webspaces of one member: one set up, with a domain whose certificate runs until
    5 December 2026, 14:03 in Berlin; one whose set-up failed because the host was unreachable."""
    app = live_server.app
    member_id = live_server.create_member("ger", name="Bäckerei Müller")
    live_server.add_web_host()
    with app.app_context(), acting("cli"):
        member = db.session.get(Member, member_id)
        ready, job = create_webspace(member)
        finish_job(job, JobStatus.SUCCESSFUL, stats={"data": {}})
        domain, _job = domains.add_domain(ready, "bäckerei-müller.example")
        domain.state = State.ACTIVE
        domain.tls_not_after = datetime(2026, 12, 5, 13, 3)
        broken, job = create_webspace(member)
        finish_job(job, JobStatus.FAILED, reason=RAW, stats={"data": {}})
        db.session.commit()
        return ready.id, broken.id


def test_a_german_member_reads_the_failure_retries_it_and_sees_german_formats(
    browser, live_server, webspaces_of_a_member
):
    ready, broken = webspaces_of_a_member
    context = browser.new_context(viewport=PHONE, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    live_server.log_in(page, "ger@example.org", lang="de")
    expect(page).to_have_url(live_server.url + "/")

    page.goto(f"{live_server.url}/webspaces/{broken}")
    main = page.locator("main")
    expect(main).to_contain_text("Die Einrichtung ist fehlgeschlagen.")
    expect(main).not_to_contain_text("Permission denied")
    expect(main).not_to_contain_text("unreachable")
    retry = main.get_by_role("button", name="Erneut versuchen").first
    expect(retry).to_be_visible()
    box = retry.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    retry.click()
    expect(page).to_have_url(f"{live_server.url}/webspaces/{broken}")
    live = page.locator("main > .live")
    expect(live.locator(".state")).to_have_text("in Arbeit")
    expect(live.locator(".spinner")).to_be_visible()
    expect(main).not_to_contain_text("Die Einrichtung ist fehlgeschlagen.")

    page.goto(f"{live_server.url}/webspaces/{ready}")
    expect(main).to_contain_text("gültig bis 5. Dezember 2026")
    expect(main).to_contain_text(re.compile(r"\d+(,\d+)? (MiB|GiB)"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
