"""The status card's copy button in a real browser: shown once its script runs, it puts the
panel's SSH public key on the clipboard."""

from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from panel.core.sshkey import ensure_keypair

pytestmark = pytest.mark.browser


def test_the_copy_button_copies_the_panels_public_key(browser, live_server):
    app = live_server.app
    public = ensure_keypair(Path(app.instance_path), app.config["SECRET_KEY"]).read_text().strip()
    secret = pyotp.random_base32()
    live_server.create_user("copy-admin@example.org", "admin", totp_secret=secret)
    context = browser.new_context(locale="en-US", permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        live_server.log_in(page, "copy-admin@example.org", totp_secret=secret)

        button = page.locator("button[data-copy=panel-public-key]")
        expect(button).to_be_visible()
        expect(button).to_have_text("Copy")
        button.click()
        expect(button).to_have_text("Copied.")
        assert page.evaluate("navigator.clipboard.readText()") == public
    finally:
        context.close()
