"""Logging in with a real browser: password and TOTP, forced enrolment for a new admin, the
language switch, and the dashboard on a phone."""

import re

import pyotp
import pytest
from journeys_support import menu_button, nav
from playwright.sync_api import Page, expect

from panel.accounts import totp
from panel.accounts.models import User
from panel.extensions import db

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def page(browser, live_server):
    """A fresh browser profile speaking English, recording every URL it asks for."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    foreign = [url for url in requested if not url.startswith(live_server.url + "/")]
    assert not foreign, f"the browser fetched from elsewhere: {foreign}"


def log_in(page: Page, server, email: str) -> None:
    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Log in", exact=True).click()


def open_menu(page: Page) -> None:
    """On a phone the navigation and the language switch are behind the menu button."""
    menu_button(page).click()
    expect(menu_button(page)).to_have_attribute("aria-expanded", "true")


def fits_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def qr_shown_whole(page: Page) -> bool:
    """An SVG without a viewBox is cut off, not scaled, when drawn smaller than its size."""
    return page.evaluate(
        """() => {
            const svg = document.querySelector(".qr svg");
            const scales = svg.viewBox.baseVal && svg.viewBox.baseVal.width > 0;
            return scales || svg.getBoundingClientRect().width >= svg.width.baseVal.value;
        }"""
    )


def test_admin_logs_in_with_totp_and_switches_language(page, live_server, tmp_path):
    secret = pyotp.random_base32()
    live_server.create_user("board@example.org", "admin", totp_secret=secret)

    log_in(page, live_server, "board@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Second factor")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, board")
    expect(nav(page).get_by_role("link", name="Members")).to_be_visible()
    expect(page.get_by_role("heading", name="Recent changes")).to_be_visible()

    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hallo, board")
    expect(nav(page).get_by_role("link", name="Mitglieder")).to_be_visible()
    expect(nav(page).get_by_role("button", name="Abmelden")).to_be_visible()
    expect(page.get_by_role("heading", name="Letzte Änderungen")).to_be_visible()

    page.set_viewport_size(PHONE)
    page.screenshot(path=tmp_path / "dashboard-phone-de.png", full_page=True)
    assert fits_width(page), "the German dashboard scrolls sideways on a phone"

    open_menu(page)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    open_menu(page)
    expect(nav(page).get_by_role("link", name="Members")).to_be_visible()
    expect(nav(page).get_by_role("button", name="Log out")).to_be_visible()
    page.screenshot(path=tmp_path / "dashboard-phone.png", full_page=True)
    assert (tmp_path / "dashboard-phone.png").stat().st_size > 1000
    assert fits_width(page), "the dashboard scrolls sideways on a phone"

    nav(page).get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))


def test_new_admin_is_taken_through_enrolment(page, live_server):
    user_id = live_server.create_user("new-admin@example.org", "admin")

    log_in(page, live_server, "new-admin@example.org")
    expect(page).to_have_url(re.compile(r"/login/enrol"))
    expect(page.get_by_text("Administrators must use two-factor authentication")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.set_viewport_size(PHONE)
    assert qr_shown_whole(page), "the QR code is cut off on a phone"
    assert fits_width(page)

    # Nothing but the enrolment is reachable before the second factor is on.
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    page.go_back()

    wrong = next(
        code for code in ("000000", "111111", "222222") if totp.matching_step(secret, code) is None
    )
    page.get_by_label("Six-digit code").fill(wrong)
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator(".field .error")).to_contain_text("does not match")
    with live_server.app.app_context():
        assert not db.session.get(User, user_id).totp_enabled

    page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == totp.RECOVERY_CODE_COUNT
    assert all(re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){4}", code) for code in codes)

    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, new-admin")
    with live_server.app.app_context():
        user = db.session.get(User, user_id)
        assert user.totp_enabled
        assert user.totp_secret == secret


def test_every_page_fits_a_phone_in_both_languages(page, live_server, tmp_path):
    secret = pyotp.random_base32()
    live_server.create_user("phone-admin@example.org", "admin", totp_secret=secret)
    member_id = live_server.create_member(
        "phn", name="Verein für Nachbarschaftshilfe Süd-Ost e.V.", kind="legal"
    )
    live_server.book_shares(member_id, 3, "Beitritt mit drei Geschäftsanteilen")
    admin_pages = [
        "/",
        "/admin/members",
        f"/admin/members/{member_id}",
        "/admin/members/new",
        "/admin/users",
        "/account",
        "/audit",
        "/admin/members/999999",
    ]
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "phone-admin@example.org")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(live_server.url + "/")
    too_wide = []
    for language in ("Deutsch", "English"):
        open_menu(page)
        page.get_by_role("button", name=language).click()
        for path in admin_pages:
            page.goto(live_server.url + path)
            if not fits_width(page):
                too_wide.append(f"{language} {path}")
                page.screenshot(path=tmp_path / f"{language}{path.replace('/', '_')}.png")

    open_menu(page)
    nav(page).get_by_role("button", name="Log out").click()
    log_in(page, live_server, "phn@example.org")
    expect(page).to_have_url(live_server.url + "/")
    for language in ("Deutsch", "English"):
        open_menu(page)
        page.get_by_role("button", name=language).click()
        for path in ("/", "/membership", "/account", "/audit"):
            page.goto(live_server.url + path)
            if not fits_width(page):
                too_wide.append(f"member {language} {path}")
                page.screenshot(path=tmp_path / f"member-{language}{path.replace('/', '_')}.png")
    assert not too_wide, f"pages that scroll sideways on a phone: {too_wide} (see {tmp_path})"


def test_the_menu_button_shows_once_it_answers_taps(page, live_server):
    """Drawn before nav.js had run, the button took a tap and did nothing: CI's phone test once
    clicked it that early, right after a language switch."""
    live_server.create_member("tap")
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "tap@example.org")
    expect(page).to_have_url(live_server.url + "/")
    held = []
    page.route(lambda url: "/static/nav.js" in url, lambda route: held.append(route))
    page.goto(live_server.url + "/account", wait_until="commit")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page did not ask for nav.js within 5 s"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(menu_button(page)).to_be_hidden()
    expect(nav(page)).to_be_hidden()

    held[0].continue_()
    open_menu(page)
    expect(nav(page)).to_be_visible()
