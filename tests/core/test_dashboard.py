"""The dashboard shows the cards the features add, each to the roles it is for, in order."""

import re
from datetime import timedelta
from decimal import Decimal

from ledger_rows import ledger_row

from panel.billing.models import Invoice
from panel.billing.operations import open_period
from panel.core.audit import acting
from panel.core.cards import Card, add_card, cards
from panel.core.models import utcnow
from panel.extensions import db
from panel.webspaces.models import Domain, Webspace


def test_an_admin_sees_members_by_status_then_the_recent_changes(login_as):
    client, _ = login_as("admin")
    page = client.get("/").get_data(as_text=True)
    assert page.index("Members by status") < page.index("Recent changes")
    assert "Whole audit log" in page
    assert "Member number" not in page
    assert "Customers" not in page


def test_a_member_sees_its_membership_only(login_as):
    client, user = login_as("member")
    page = client.get("/").get_data(as_text=True)
    assert f"<strong>{user.member.number}</strong>" in page
    assert "Your membership, shares and contact data" in page
    assert "Recent changes" not in page
    assert "Members by status" not in page
    assert "Customers" not in page


def test_a_reseller_sees_its_membership_and_its_customers(login_as, make_user):
    client, reseller = login_as("reseller")
    customer = make_user("customer", reseller=reseller)
    page = client.get("/").get_data(as_text=True)
    assert page.index("Member number") < page.index("<h2>Customers</h2>")
    assert f">{customer.email}</a></li>" in page
    assert "Recent changes" not in page


def test_a_customer_sees_no_card(login_as, make_user):
    reseller = make_user("reseller")
    client, _ = login_as("customer", reseller=reseller)
    page = client.get("/").get_data(as_text=True)
    for title in ("Members by status", "Recent changes", "Member number", "Customers"):
        assert title not in page


def test_cards_come_in_their_order_and_only_where_they_show(app):
    with app.app_context():
        add_card(app, "test-page", Card("second.html", lambda subject, **given: {"n": 2}, 2))
        add_card(app, "test-page", Card("hidden.html", lambda subject, **given: None, 0))
        add_card(app, "test-page", Card("first.html", lambda subject, **given: given, 1))
        try:
            assert cards("test-page", object(), form="f") == [
                ("first.html", {"form": "f"}),
                ("second.html", {"n": 2}),
            ]
        finally:
            del app.extensions["cards"]["test-page"]


def _card(page: str, href: str) -> str:
    """The text of the dashboard's card linking to HREF."""
    found = re.search(rf'<a class="card" href="{re.escape(href)}">(.*?)</a>', page, re.S)
    assert found, f"no card linking to {href}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def _domain(webspace, name: str, state: str) -> Domain:
    return Domain(
        webspace_id=webspace.id,
        member_id=webspace.member_id,
        name=name,
        document_root=f"domains/{name}/htdocs",
        verification_token=f"token-{name}",
        state=state,
    )


def test_a_new_member_is_shown_the_next_step(login_as):
    client, _ = login_as("member")
    page = client.get("/").text
    assert "Your next step" in page
    assert '<a class="button" href="/webspaces#new-webspace">Create your first webspace</a>' in page
    assert 'id="new-webspace"' in client.get("/webspaces").text
    assert _card(page, "/invoices") == "0 open invoices"
    for absent in ("/webspaces", "/usage"):
        assert f'<a class="card" href="{absent}">' not in page


def test_a_member_sees_what_they_have_each_linking_to_its_page(login_as, make_host):
    client, user = login_as("member")
    member = user.member
    host = make_host("web1")
    webspace = Webspace(
        member_id=member.id,
        name=f"{member.prefix}00",
        host_id=host.id,
        state="active",
        max_domains=3,
        max_databases=1,
        max_users=1,
        quota_mib=2048,
    )
    gone = Webspace(
        member_id=member.id,
        name=f"{member.prefix}01",
        host_id=host.id,
        state="deleted",
        max_domains=1,
        max_databases=1,
        max_users=1,
        quota_mib=1024,
    )
    db.session.add_all([webspace, gone])
    db.session.flush()
    db.session.add_all(
        [
            _domain(webspace, "example.org", "active"),
            _domain(webspace, "example.net", "pending"),
        ]
    )
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    ledger_row(webspace, "disk", 2**30, hour - timedelta(hours=2))
    ledger_row(webspace, "disk", 3 * 2**29, hour - timedelta(hours=1))
    # Newer, but of a deleted webspace: neither its own nor the other webspace's latest.
    ledger_row(gone, "disk", 2**31, hour)
    with acting("cli"):
        period = open_period("2026-01", vat_percent="19")
    for number, state, collected in (
        ("2026-000001", "issued", None),
        ("2026-000002", "issued", utcnow()),
        (None, "draft", None),
    ):
        db.session.add(
            Invoice(
                member_id=member.id,
                period_id=period.id,
                state=state,
                number=number,
                gross=Decimal("12.34"),
                collected_at=collected,
            )
        )
    db.session.commit()
    page = client.get("/").text
    assert "Your next step" not in page
    assert _card(page, "/webspaces").startswith("1 webspace")
    assert re.search(r'<a class="card" href="/webspaces">\s*<strong>2</strong><span>domains', page)
    assert _card(page, "/usage") == "1.5 GiB / 2 GiB disk space used of the quota"
    assert _card(page, "/invoices") == "1 open invoice · €12.34"
    assert _card(page, "/membership") == f"{member.share_count} Shares"


def test_an_admin_has_no_summary(login_as):
    client, _ = login_as("admin")
    page = client.get("/").text
    assert 'aria-label="What you have"' not in page
    assert "Your next step" not in page
