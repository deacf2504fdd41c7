"""A list at phone width: its rows stack as cards, its sort links stay in reach, its pager goes
on to the next page, and nothing scrolls sideways."""

import re

import pyotp
import pytest
from list_rows import small_pages
from playwright.sync_api import expect

from panel.coop import views

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def first_names(page) -> list[str]:
    return [
        text.splitlines()[0].strip()
        for text in page.locator("table.stack tbody td[data-label='Name']").all_inner_texts()
    ]


def test_the_member_register_pages_and_sorts_on_a_phone(
    browser, live_server, monkeypatch, tmp_path
):
    # The server runs in this process: its register shows three members a page.
    small_pages(monkeypatch, views, "MEMBER_LIST", 3)
    secret = pyotp.random_base32()
    live_server.create_user("lists@example.org", "admin", totp_secret=secret)
    for prefix, name in (("pha", "Paula Zander"), ("phb", "Olaf Ypsilon"), ("phc", "Nina Xaver")):
        live_server.create_member(prefix, name=name)
    for prefix, name in (("phd", "Mia Weber"), ("phe", "Lars Vogt")):
        live_server.create_member(prefix, name=name)

    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        live_server.log_in(page, "lists@example.org", totp_secret=secret)
        expect(page).to_have_url(live_server.url + "/")

        page.goto(live_server.url + "/admin/members?q=ph")
        assert first_names(page) == ["Paula Zander", "Olaf Ypsilon", "Nina Xaver"]
        assert fits_width(page), "the register scrolls sideways on a phone"

        sort_by_name = page.get_by_role("link", name="Name", exact=True)
        expect(sort_by_name).to_be_visible()
        sort_by_name.click()
        expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Name")
        assert first_names(page) == ["Lars Vogt", "Mia Weber", "Nina Xaver"]
        page.screenshot(path=tmp_path / "members-phone.png", full_page=True)
        assert fits_width(page)

        page.get_by_role("link", name=re.compile("Next")).click()
        expect(page.get_by_text("Page 2")).to_be_visible()
        assert first_names(page) == ["Olaf Ypsilon", "Paula Zander"]
        expect(page.get_by_label("Search", exact=True)).to_have_value("ph")
        assert fits_width(page)

        page.get_by_role("link", name=re.compile("Name")).click()
        expect(page.locator("th[aria-sort='descending']")).to_contain_text("Name")
        assert first_names(page) == ["Paula Zander", "Olaf Ypsilon", "Nina Xaver"]
        assert fits_width(page)
    finally:
        context.close()
