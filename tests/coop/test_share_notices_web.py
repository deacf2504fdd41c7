"""Shares and notices on the member's own page, and the office's page of notices and payouts."""

from datetime import date

import pytest
from sqlalchemy import select

from panel.coop.models import ShareNotice, SharePayout
from panel.coop.notices import effective_on, give_share_notice
from panel.coop.operations import record_share_transaction
from panel.coop.settlement import settle_notice
from panel.core.audit import acting
from panel.core.formats import format_day
from panel.extensions import db


@pytest.fixture
def member_client(login_as, make_member):
    """A logged-in member holding 5 shares: (client, member)."""
    member = make_member("nia", name="Nia Nagel", email="nia@example.org")
    with acting("cli"):
        record_share_transaction(member, "subscription", 5, "2025-01-01")
    client, _ = login_as(member.users[0])
    return client, member


def page(response) -> str:
    return response.get_data(as_text=True)


def notices_of(member) -> list[tuple[int, str]]:
    db.session.expire_all()
    rows = select(ShareNotice).where(ShareNotice.member_id == member.id).order_by(ShareNotice.id)
    return [(notice.count, notice.state) for notice in db.session.scalars(rows)]


def test_a_member_subscribes_shares_on_the_page(member_client, fresh):
    client, member = member_client
    answer = client.post("/membership/shares", data={"count": "2"}, follow_redirects=True)
    assert "2 shares subscribed." in page(answer)
    assert fresh(member).share_count == 7


def test_a_bad_subscription_is_shown_and_books_nothing(member_client, fresh):
    client, member = member_client
    answer = client.post("/membership/shares", data={"count": "-2"})
    assert answer.status_code == 422
    assert "Number must be between 1 and 10000." in page(answer)
    assert fresh(member).share_count == 5


def test_a_notice_shows_with_its_effective_date_and_the_holding_after_it(member_client, today):
    client, member = member_client
    answer = client.post("/membership/notices", data={"count": "3"})
    assert answer.status_code == 302
    assert notices_of(member) == [(3, "pending")]
    html = page(client.get("/membership"))
    assert "Pending notices" in html
    assert format_day(effective_on(today)) in html
    assert "Shares held after the pending notices: 2 (€128.00)." in html
    assert "/withdraw" in html


def test_a_notice_below_the_minimum_shows_the_numbers_and_records_nothing(member_client):
    client, member = member_client
    answer = client.post("/membership/notices", data={"count": "5"})
    assert answer.status_code == 409
    assert (
        "Notice is possible on at most 4 of the 5 shares held: 0 are under notice "
        "already and 1 must stay as the minimum holding."
    ) in page(answer)
    assert notices_of(member) == []


def test_a_member_withdraws_its_notice(member_client):
    client, member = member_client
    with acting("cli"):
        notice = give_share_notice(member, 2)
    answer = client.post(f"/membership/notices/{notice.id}/withdraw")
    assert answer.status_code == 302
    assert notices_of(member) == [(2, "withdrawn")]


def test_another_members_notice_is_not_found(member_client, make_member):
    client, _ = member_client
    other = make_member()
    with acting("cli"):
        record_share_transaction(other, "subscription", 3, "2025-01-01")
        notice = give_share_notice(other, 1)
    answer = client.post(f"/membership/notices/{notice.id}/withdraw")
    assert answer.status_code == 404
    assert notices_of(other) == [(1, "pending")]


def test_leaving_is_refused_on_the_page_while_a_webspace_exists(
    member_client, make_webspace, fresh
):
    client, member = member_client
    webspace = make_webspace(member)
    answer = client.post("/membership/leave")
    assert answer.status_code == 409
    assert (
        f"End these services before giving notice of membership: Webspaces: {webspace.name}."
        in (page(answer))
    )
    assert fresh(member).status == "active"


def test_a_member_leaves_on_the_page(member_client, fresh):
    client, member = member_client
    answer = client.post("/membership/leave")
    assert answer.status_code == 302
    assert fresh(member).status == "cancelled"
    html = page(client.get("/membership"))
    assert "Notice of membership" in html
    # Under notice, the page offers neither more shares nor another notice.
    assert "/membership/shares" not in html and "/membership/leave" not in html


def test_the_membership_page_speaks_german(member_client, today):
    client, member = member_client
    with acting("cli"):
        give_share_notice(member, 2)
    with client.session_transaction() as session:
        session["lang"] = "de"
    html = page(client.get("/membership"))
    assert "Laufende Kündigungen" in html
    assert "Geschäftsanteile nach den laufenden Kündigungen: 3 (192,00\xa0€)." in html
    assert "Weitere Geschäftsanteile zeichnen" in html
    assert "Austritt aus der Genossenschaft" in html
    refused = page(client.post("/membership/notices", data={"count": "3"}))
    assert (
        "Kündbar sind höchstens 2 der 5 gehaltenen Geschäftsanteile: bereits gekündigt sind 2, "
        "und die Mindestbeteiligung beträgt 1."
    ) in refused


def test_the_office_sees_notices_and_payouts_and_marks_one_paid(admin, make_member, today):
    client, _ = admin
    member = make_member(name="Paula Payout")
    with acting("cli"):
        record_share_transaction(member, "subscription", 4, "2025-01-01")
        settled = give_share_notice(member, 2, date(2024, 5, 1))
        pending = give_share_notice(member, 1)
    with acting("worker"):
        settle_notice(settled)

    html = page(client.get("/admin/share-notices"))
    assert "Paula Payout" in html
    assert "€128.00" in html
    assert format_day(pending.effective_on) in html
    assert "data-confirm=" in html
    assert "Pending notices" in page(client.get(f"/admin/members/{member.id}"))

    payout = db.session.scalar(select(SharePayout).where(SharePayout.member_id == member.id))
    refused = client.post(f"/admin/share-payouts/{payout.id}/paid", data={"paid_on": "2999-01-01"})
    assert refused.status_code == 422
    answer = client.post(f"/admin/share-payouts/{payout.id}/paid")
    assert answer.status_code == 302
    db.session.refresh(payout)
    assert (payout.state, payout.paid_on) == ("paid", today)
    assert "No open payouts." in page(client.get("/admin/share-notices"))


def test_a_member_may_not_reach_the_offices_page(member_client):
    client, _ = member_client
    assert client.get("/admin/share-notices").status_code == 403
