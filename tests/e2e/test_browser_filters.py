"""A list's filter in a real browser: a state chosen shows the list filtered at once, also when it
is chosen before the page's script arrived."""

import re

import pyotp
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from panel.core.audit import acting
from panel.extensions import db
from panel.webspaces.operations import create_webspace

pytestmark = pytest.mark.browser


def test_a_state_chosen_before_the_script_arrived_filters_the_list(browser, live_server):
    from panel.coop.models import Member

    secret = pyotp.random_base32()
    live_server.create_user("filters@example.org", "admin", totp_secret=secret)
    member_id = live_server.create_member("flt")
    live_server.add_web_host()
    with live_server.app.app_context(), acting("cli"):
        webspace, _job = create_webspace(db.session.get(Member, member_id))
        name = webspace.name  # pending: no worker runs its job

    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    held = []
    try:
        live_server.log_in(page, "filters@example.org", totp_secret=secret)
        expect(page).to_have_url(live_server.url + "/")
        # Routing turns the browser's cache off: the page asks the network for the script.
        page.route("**/static/autosubmit.js", lambda route: held.append(route))
        page.goto(live_server.url + "/webspaces", wait_until="commit")
        state = page.get_by_label("State")
        with pytest.raises(PlaywrightTimeoutError):
            state.select_option("failed", timeout=2_000)
        assert len(held) == 1

        held[0].continue_()
        page.unroute("**/static/autosubmit.js")
        rows = page.locator("main")
        expect(rows).to_contain_text(name)
        state.select_option("failed")
        expect(page).to_have_url(re.compile(r"[?&]state=failed\b"))
        expect(rows).not_to_contain_text(name)
        page.get_by_label("State").select_option("pending")
        expect(page).to_have_url(re.compile(r"[?&]state=pending\b"))
        expect(rows).to_contain_text(name)
    finally:
        context.close()
