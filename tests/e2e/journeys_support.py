"""What the journey and accessibility tests share: one cooperative with an admin, a member
with a webspace and a reseller with a customer; their main pages; logging each in once."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser, Page, expect

from panel.accounts.operations import create_user, find_user_by_email
from panel.coop.models import Member
from panel.core.audit import acting
from panel.core.roles import Role
from panel.extensions import db
from panel.governance import operations as governance
from panel.governance import phases
from panel.governance.models import ItemKind, ItemState, ResolutionItem
from panel.hosts.models import Host
from panel.provisioning import operations as provisioning
from panel.webspaces import domains
from panel.webspaces import operations as webspaces

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
ADMIN_PAGES = (
    "/",
    "/admin/hosts",
    "/admin/members",
    "/jobs",
    "/admin/billing",
    "/admin/resolutions",
    "/admin/resolutions/new",
    "/admin/resolutions/{voting}",
    "/admin/resolutions/{closed}",
)
MEMBER_PAGES = (
    "/",
    "/webspaces",
    "/webspaces/{webspace}",
    "/domains",
    "/usage",
    "/invoices",
    "/account",
    "/membership",
    "/transparency",
    "/resolutions",
    "/resolutions/{voting}",
    "/resolutions/{closed}",
)
RESELLER_PAGES = ("/", "/customers", "/servers")


@dataclass
class Cooperative:
    admin_secret: str
    webspace_id: int
    # Resolutions: one being voted on (with an amendment), one closed with its result.
    voting_id: int
    closed_id: int

    def pages(self, role: str) -> tuple[str, ...]:
        pages = {"admin": ADMIN_PAGES, "member": MEMBER_PAGES, "reseller": RESELLER_PAGES}[role]
        return tuple(self.page(path) for path in pages)

    def page(self, path: str) -> str:
        """PATH with the ids of this cooperative's things filled in."""
        ids = {"webspace": self.webspace_id, "voting": self.voting_id, "closed": self.closed_id}
        return path.format(**ids)


EMAILS = {
    "admin": "board@example.org",
    "member": "bak@example.org",
    "reseller": "res@example.org",
}


def _host_key() -> str:
    public = Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def found_cooperative(server) -> Cooperative:
    """The people and things whose pages the tests look at; no job runs (there is no worker),
    so the webspace's and the domain's are finished by hand."""
    secret = pyotp.random_base32()
    server.create_user(EMAILS["admin"], "admin", totp_secret=secret)
    member_id = server.create_member("bak", name="Bäckerei Müller", email=EMAILS["member"])
    server.book_shares(member_id, 2, "Beitritt")
    reseller_member = server.create_member(
        "res", name="Agentur Süd GmbH", email=EMAILS["reseller"], kind="legal"
    )
    server.book_shares(reseller_member, 4, "Beitritt")
    with server.app.app_context(), acting("cli"):
        reseller = find_user_by_email(EMAILS["reseller"])
        reseller.role = Role.RESELLER
        create_user("shop@example.org", "customer", password=server.password, reseller=reseller)
        db.session.add(
            Host(
                name="web1",
                address="127.0.0.1",
                ssh_port=1,
                state="ready",
                capacity=100,
                host_key=_host_key(),
            )
        )
        db.session.commit()
        webspace, job = webspaces.create_webspace(db.session.get(Member, member_id))
        provisioning.finish_job(job, "successful", stats={})
        # Waits for its ownership check (a DNS record), as a new member's first domain does.
        domains.add_domain(webspace, "bäckerei-müller.example")
        db.session.commit()
        member = db.session.get(Member, member_id)
        voting = _resolution("Annual accounts 2026", member, closed=False)
        closed = _resolution("Statute change: § 4 shares", member, closed=True)
        return Cooperative(secret, webspace.id, voting, closed)


def _resolution(title: str, member: Member, *, closed: bool) -> int:
    """A resolution in its vote with an amendment on the ballot, or closed with the member's
    ballot counted."""
    now = datetime.now(UTC)
    resolution = governance.draft_resolution(
        {
            "title": title,
            "text": "The general assembly **approves** it.\n\n- one\n- two",
            "majority": "three_quarters" if closed else "simple",
            "quorum_percent": 10,
            "secret": True,
            "cutoff": now.date(),
            "discussion_from": now - timedelta(days=3),
            "voting_from": now - timedelta(days=1),
            "voting_until": now + timedelta(days=2),
        }
    )
    governance.announce_resolution(resolution)
    phases.catch_up(resolution)
    db.session.add(
        ResolutionItem(
            resolution_id=resolution.id,
            kind=ItemKind.AMENDMENT,
            state=ItemState.ON_BALLOT,
            title="Approve with a remark",
            text="Instead: approved with a remark on the reserves.",
            member_id=member.id,
        )
    )
    db.session.commit()
    governance.cast_ballot(resolution, member, {governance.motion(resolution).id: "yes"})
    if closed:
        resolution.voting_until = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
        phases.catch_up(resolution)
    return resolution.id


def log_in(browser: Browser, server, cooperative: Cooperative, role: str) -> dict:
    """The browser state of a logged-in session of ROLE, for new contexts to start from."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.goto(server.url + "/login")
    page.get_by_label("Email").fill(EMAILS[role])
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Log in", exact=True).click()
    if role == "admin":
        page.get_by_label("Code from your authenticator app").fill(
            pyotp.TOTP(cooperative.admin_secret).now()
        )
        page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(server.url + "/")
    state = context.storage_state()
    context.close()
    return state


def fits_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def out_of_reach(page: Page) -> list[str]:
    """The page's shown buttons, links and fields that lie beyond the window's right edge or
    beyond that of a box scrolling sideways, so that they need sideways scrolling to reach."""
    return page.evaluate(
        """() => [...document.querySelectorAll("main :is(a, button, input, select, textarea)")]
            .filter((el) => el.getClientRects().length && el.type !== "hidden")
            .filter((el) => {
                const box = el.getBoundingClientRect();
                if (box.right > window.innerWidth + 1) { return true; }
                for (let up = el.parentElement; up; up = up.parentElement) {
                    const scrolls = up.scrollWidth > up.clientWidth + 1
                        && ["auto", "scroll"].includes(getComputedStyle(up).overflowX);
                    if (scrolls && box.right > up.getBoundingClientRect().right + 1) {
                        return true;
                    }
                }
                return false;
            })
            .map((el) => el.outerHTML.slice(0, 80))"""
    )


def menu_button(page: Page):
    return page.get_by_role("button", name=re.compile("^(Menu|Menü)$"))


def nav(page: Page):
    return page.get_by_role("navigation", name=re.compile("^(Main|Hauptmenü)$"))


def page_background(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")
