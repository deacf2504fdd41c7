"""Irreversible actions ask first in a real browser, at desktop and phone width: the dialog
names what will happen with Cancel focused; Cancel leaves the thing, Confirm deletes it. A click
that comes before the page's script is no exception."""

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from panel.core.audit import acting
from panel.extensions import db
from panel.provisioning.models import JobStatus
from panel.provisioning.operations import finish_job
from panel.webspaces import databases
from panel.webspaces.models import Database, Desired
from panel.webspaces.operations import create_webspace

pytestmark = pytest.mark.browser
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# The database of the test whose script comes late.
LATE = "late"


def _settle(job) -> None:
    """End the job as the worker would after a successful run (no worker runs here)."""
    with acting("worker"):
        finish_job(
            job,
            JobStatus.SUCCESSFUL,
            stats={"data": {"webspace": {"uid": 2000, "quota_enforced": False}}},
        )
    db.session.commit()


@pytest.fixture(scope="module")
def shop(live_server):
    """A member's active webspace with one active database per screen size, and one more."""
    app = live_server.app
    member_id = live_server.create_member("cfm")
    live_server.add_web_host()
    with app.app_context(), acting("cli"):
        from panel.coop.models import Member

        webspace, job = create_webspace(db.session.get(Member, member_id))
        _settle(job)
        names = {}
        for label in (*SIZES, LATE):
            database, job, _password = databases.create_database(webspace, "mariadb", label)
            _settle(job)
            names[label] = (database.id, database.name)
        return webspace.id, names


def _desired(live_server, database_id: int) -> str:
    with live_server.app.app_context():
        return db.session.get(Database, database_id).desired


@pytest.mark.parametrize("size", SIZES)
def test_cancel_keeps_the_database_and_confirm_deletes_it(browser, live_server, shop, size):
    webspace_id, names = shop
    database_id, name = names[size]
    context = browser.new_context(viewport=SIZES[size], locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        live_server.log_in(page, "cfm@example.org")
        expect(page).to_have_url(live_server.url + "/")
        page.goto(f"{live_server.url}/webspaces/{webspace_id}")
        row = page.get_by_role("row").filter(has_text=name)
        dialog = page.locator("dialog#confirm-dialog")
        question = f"Delete the database {name}? Sites using it stop working; after the grace "
        question += "period its data is gone for good."

        row.get_by_role("button", name="Delete").click()
        expect(dialog).to_be_visible()
        expect(dialog.locator("#confirm-question")).to_have_text(question)
        cancel = dialog.get_by_role("button", name="Cancel")
        expect(cancel).to_be_focused()
        confirm = dialog.get_by_role("button", name="Delete")
        expect(confirm).to_have_class(re.compile(r"\bdanger\b"))
        # Both choices are reachable without scrolling sideways.
        for button in (cancel, confirm):
            box = button.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"]
        cancel.click()
        expect(dialog).to_be_hidden()
        expect(page).to_have_url(f"{live_server.url}/webspaces/{webspace_id}")
        assert _desired(live_server, database_id) == Desired.ACTIVE

        # Escape is a Cancel too.
        row.get_by_role("button", name="Delete").click()
        expect(dialog).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        assert _desired(live_server, database_id) == Desired.ACTIVE

        row.get_by_role("button", name="Delete").click()
        dialog.get_by_role("button", name="Delete").click()
        expect(page.locator(".flash.success")).to_have_text("Done; the change is being made.")
        assert _desired(live_server, database_id) == Desired.ARCHIVED
    finally:
        context.close()


def test_a_click_before_the_script_arrives_posts_nothing(browser, live_server, shop):
    """The network holds confirm.js back: the page's forms wait for it, so a click on Delete
    meanwhile sends nothing; once the script is there, the same click asks first."""
    webspace_id, names = shop
    database_id, name = names[LATE]
    context = browser.new_context(viewport=SIZES["desktop"], locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    held = []
    try:
        live_server.log_in(page, "cfm@example.org")
        expect(page).to_have_url(live_server.url + "/")
        # Routing turns the browser's cache off: the page asks the network for the script.
        page.route("**/static/confirm.js", lambda route: held.append(route))
        page.goto(f"{live_server.url}/webspaces/{webspace_id}", wait_until="commit")
        delete = page.get_by_role("row").filter(has_text=name).get_by_role("button", name="Delete")
        with pytest.raises(PlaywrightTimeoutError):
            delete.click(timeout=2_000)
        assert len(held) == 1
        assert _desired(live_server, database_id) == Desired.ACTIVE

        held[0].continue_()
        page.unroute("**/static/confirm.js")
        delete.click()
        dialog = page.locator("dialog#confirm-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        assert _desired(live_server, database_id) == Desired.ACTIVE
    finally:
        context.close()
