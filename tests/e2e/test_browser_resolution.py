"""A resolution from the board's draft to the member's checked receipt, in a real browser: the
board writes the motion (Markdown, times in its own time zone) and announces it; a member
comments and proposes an amendment in the discussion, votes, gets a receipt once, and after the
close finds the receipt counted as cast in the published list."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
from journeys_support import DESKTOP, PHONE, fits_width
from playwright.sync_api import expect

from panel.extensions import db
from panel.governance.models import Resolution

pytestmark = pytest.mark.browser
LOCAL = "%Y-%m-%dT%H:%M"


def _move_times(live_server, resolution_id: int, **moments: datetime) -> None:
    """Let the clock run on: the phase boundaries moved to the past, as time would."""
    with live_server.app.app_context():
        resolution = db.session.get(Resolution, resolution_id)
        for name, moment in moments.items():
            setattr(resolution, name, moment)
        db.session.commit()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_motion_from_draft_to_a_checked_receipt(browser, live_server, viewport):
    wide = viewport == DESKTOP
    prefix = "vod" if wide else "vop"
    secret = pyotp.random_base32()
    chair = f"chair-{prefix}@example.org"
    live_server.create_user(chair, "admin", totp_secret=secret)
    live_server.create_member(prefix, name=f"Vera {prefix}", email=f"{prefix}@example.org")
    board = browser.new_context(viewport=viewport, locale="en-US").new_page()
    member = browser.new_context(viewport=viewport, locale="en-US").new_page()
    for page in (board, member):
        page.set_default_timeout(15_000)
    try:
        live_server.log_in(board, chair, totp_secret=secret)
        board.goto(live_server.url + "/admin/resolutions/new")
        local = datetime.now(ZoneInfo(live_server.app.config["TIMEZONE"]))
        board.get_by_label("Title").fill(f"Annual accounts {prefix}")
        board.get_by_label("Text of the motion (Markdown)").fill(
            "The assembly **approves** the accounts.\n\n<script>document.title='owned'</script>"
        )
        board.get_by_label("Eligibility cutoff").fill(local.date().isoformat())
        board.get_by_label("Discussion from").fill((local - timedelta(hours=1)).strftime(LOCAL))
        board.get_by_label("Voting from").fill((local + timedelta(days=1)).strftime(LOCAL))
        board.get_by_label("Voting until").fill((local + timedelta(days=2)).strftime(LOCAL))
        board.get_by_label("Supporters an amendment needs").fill("1")
        board.get_by_role("button", name="Save draft").click()
        expect(board.get_by_role("heading", name=f"Annual accounts {prefix}")).to_be_visible()
        resolution_id = int(board.url.rstrip("/").split("/")[-1])

        board.get_by_role("button", name="Announce").click()
        dialog = board.locator("dialog#confirm-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Announce").click()
        expect(board.locator(".flash.success")).to_be_visible()

        live_server.log_in(member, f"{prefix}@example.org")
        member.goto(live_server.url + "/resolutions")
        member.get_by_role("link", name=f"Annual accounts {prefix}").click()
        motion = member.locator("#motion")
        expect(motion.locator("strong")).to_have_text("approves")
        expect(motion).to_contain_text("<script>")
        assert member.title() != "owned"
        member.get_by_label("Your comment").fill("The reserves look right to me.")
        member.get_by_role("button", name="Publish the comment").click()
        expect(member.locator("#comments")).to_contain_text("The reserves look right to me.")
        amendments = member.locator("#amendments")
        amendments.get_by_label("Title").fill("With a remark")
        amendments.get_by_label("Text (Markdown)").fill("Approved with a remark on reserves.")
        amendments.get_by_role("button", name="Propose").click()
        expect(member.locator("#amendments")).to_contain_text("With a remark")

        now = datetime.now(UTC)
        _move_times(live_server, resolution_id, voting_from=now - timedelta(seconds=1))
        member.reload()
        ballot = member.locator("#ballot")
        ballot.get_by_role("group", name="Motion: Annual accounts").get_by_label("Yes").check()
        ballot.get_by_role("group", name="Amendment: With a remark").get_by_label("No").check()
        ballot.get_by_role("button", name="Cast the vote").click()
        code = member.locator("#receipt-code")
        expect(code).to_have_text(re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$"))
        receipt = code.inner_text()
        assert fits_width(member)
        # Reloading shows the same receipt: it does not vote again.
        member.reload()
        expect(member.locator("#receipt-code")).to_have_text(receipt)
        member.goto(f"{live_server.url}/resolutions/{resolution_id}")
        expect(member.locator("#receipt-code")).to_have_count(0)
        expect(member.locator("#ballot")).to_contain_text("You voted on")

        _move_times(live_server, resolution_id, voting_until=datetime.now(UTC))
        member.goto(f"{live_server.url}/resolutions/{resolution_id}")
        member.get_by_label("Receipt", exact=True).fill(receipt.lower())
        member.get_by_role("button", name="Check").click()
        found = member.get_by_role("status").filter(has_text="Your receipt")
        expect(found).to_contain_text(f"Your receipt {receipt} is counted as:")
        expect(found).to_contain_text("yes")
        assert fits_width(member)
    finally:
        board.context.close()
        member.context.close()
