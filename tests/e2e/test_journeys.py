"""Each role's journey through its main pages at desktop and phone width, in German and
English: no page scrolls sideways, the phone's menu opens and closes, the theme toggles and
is remembered. With PANEL_SCREENS=<folder> (e.g. docs/screens) the English runs also save
screenshots of the main pages, light and dark."""

import os
import re
from pathlib import Path

import pytest
from journeys_support import (
    DESKTOP,
    PHONE,
    fits_width,
    found_cooperative,
    log_in,
    menu_button,
    nav,
    out_of_reach,
    page_background,
)
from PIL import Image
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
SCREENS = os.environ.get("PANEL_SCREENS", "")
# The pages the README's screenshots come from, by role.
SCREENSHOT_PAGES = {
    "admin": {"/": "dashboard", "/jobs": "jobs", "/admin/resolutions/{closed}": "resolution"},
    "member": {
        "/": "dashboard",
        "/webspaces/{webspace}": "webspace",
        "/resolutions/{voting}": "resolution-vote",
        "/resolutions/{closed}": "resolution-result",
        "/transparency": "transparency",
    },
    "reseller": {"/customers": "customers"},
}
LIGHT, DARK = "rgb(246, 247, 245)", "rgb(17, 20, 22)"
LABELS = {
    "en": {"language": "English", "theme": "Theme", "dark": "Dark", "system": "As the system"},
    "de": {
        "language": "Deutsch",
        "theme": "Darstellung",
        "dark": "Dunkel",
        "system": "Wie das System",
    },
}


@pytest.fixture(scope="module")
def cooperative(live_server):
    return found_cooperative(live_server)


@pytest.fixture(scope="module")
def sessions(browser, live_server, cooperative):
    return {
        role: log_in(browser, live_server, cooperative, role)
        for role in ("admin", "member", "reseller")
    }


def open_menu_on_phone(page: Page, phone: bool) -> None:
    if phone:
        menu_button(page).click()


def check_menu(page: Page, phone: bool) -> None:
    """On a phone the navigation hides behind the menu button, which opens and closes it by
    mouse and keyboard; on a desktop it is always there and the button is not."""
    if not phone:
        expect(nav(page)).to_be_visible()
        expect(menu_button(page)).to_be_hidden()
        return
    button = menu_button(page)
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav(page)).to_be_hidden()
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(nav(page)).to_be_visible()
    assert fits_width(page), "the open menu is wider than the phone"
    page.keyboard.press("Escape")
    expect(nav(page)).to_be_hidden()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(nav(page)).to_be_visible()
    button.click()
    expect(nav(page)).to_be_hidden()


def screenshot(page: Page, name: str, width: str, theme: str) -> None:
    folder = Path(SCREENS)
    folder.mkdir(parents=True, exist_ok=True)
    # Without the focus ring a click on the menu button leaves behind.
    page.evaluate("document.activeElement.blur()")
    path = folder / f"{name}-{width}-{theme}.png"
    page.screenshot(path=path, animations="disabled")
    # A palette of 64 colours keeps the committed files a third of their size.
    Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("role", ["admin", "member", "reseller"])
def test_journey(browser, live_server, cooperative, sessions, role, width, language):
    phone = width == "phone"
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        locale="en-US",
        color_scheme="light",
        storage_state=sessions[role],
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    labels = LABELS[language]
    try:
        page.goto(live_server.url + "/")
        open_menu_on_phone(page, phone)
        page.get_by_role("button", name=labels["language"]).click()
        expect(page.locator("html")).to_have_attribute("lang", language)

        screens = {
            cooperative.page(path): f"{role}-{name}"
            for path, name in SCREENSHOT_PAGES[role].items()
        }
        too_wide = []
        for path in cooperative.pages(role):
            page.goto(live_server.url + path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            if not fits_width(page):
                too_wide.append(path)
            hidden = out_of_reach(page)
            assert not hidden, f"{path} at {width} width hides to the side: {hidden}"
            check_menu(page, phone)
            if SCREENS and language == "en" and path in screens:
                screenshot(page, screens[path], width, "light")
                page.emulate_media(color_scheme="dark")
                screenshot(page, screens[path], width, "dark")
                page.emulate_media(color_scheme="light")
                if phone and path == "/":
                    menu_button(page).click()
                    screenshot(page, f"{role}-menu", width, "light")
                    menu_button(page).click()
        assert not too_wide, f"{role} pages that scroll sideways at {width} width: {too_wide}"

        # The theme: dark when chosen, on this page and the next; the system's when that is.
        page.goto(live_server.url + cooperative.pages(role)[-1])
        assert page_background(page) == LIGHT
        open_menu_on_phone(page, phone)
        page.get_by_label(labels["theme"]).select_option(label=labels["dark"])
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        assert page_background(page) == DARK
        page.goto(live_server.url + "/")
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        assert page_background(page) == DARK
        open_menu_on_phone(page, phone)
        expect(page.get_by_label(labels["theme"])).to_have_value("dark")
        page.get_by_label(labels["theme"]).select_option(label=labels["system"])
        expect(page.locator("html")).not_to_have_attribute("data-theme", re.compile("."))
        assert page_background(page) == LIGHT
        page.emulate_media(color_scheme="dark")
        assert page_background(page) == DARK
        page.reload()
        assert page_background(page) == DARK
    finally:
        context.close()


def test_without_javascript_the_phone_navigation_is_open(browser, live_server, sessions):
    context = browser.new_context(
        viewport=PHONE, locale="en-US", java_script_enabled=False, storage_state=sessions["member"]
    )
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        expect(nav(page).get_by_role("link", name="Webspaces")).to_be_visible()
        expect(menu_button(page)).to_be_hidden()
        # A theme choice that cannot work is not offered.
        expect(page.get_by_label("Theme")).to_be_hidden()
        assert fits_width(page)
    finally:
        context.close()
