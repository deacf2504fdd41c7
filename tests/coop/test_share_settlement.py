"""Leaving the cooperative, and notices that take effect: the shares booked out, a payout for
the office, and for a notice of membership the membership's end."""

from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from panel.accounts.operations import create_user
from panel.coop.models import NoticeState, PayoutState, ShareNotice, SharePayout, ShareTransaction
from panel.coop.notices import give_membership_notice, give_share_notice, shares_under_notice
from panel.coop.operations import record_share_transaction
from panel.coop.settlement import mark_payout_paid, settle_due_notices
from panel.core.audit import AuditEntry, acting
from panel.core.errors import Conflict, ValidationFailed
from panel.core.roles import Role
from panel.extensions import db
from panel.servers import operations as servers

DAY = date(2026, 12, 6)
# Members are admitted before DAY: a membership's notice may not be dated before its start.
ADMITTED = date(2025, 1, 1)
EFFECTIVE = date(2028, 12, 31)


@pytest.fixture
def holder(make_member, set_share_value):
    """A member holding SHARES shares worth 64.00 each."""
    set_share_value(Decimal("64.00"))

    def make(shares: int = 5):
        member = make_member(on=ADMITTED)
        with acting("cli"):
            record_share_transaction(member, "subscription", shares, "2025-01-01")
        return member

    return make


def payouts(member) -> list[tuple[int, Decimal, date, str]]:
    rows = select(SharePayout).where(SharePayout.member_id == member.id).order_by(SharePayout.id)
    return [(p.count, p.amount, p.due_on, p.state) for p in db.session.scalars(rows)]


def cancellations(member) -> list[tuple[int, date]]:
    rows = select(ShareTransaction).where(
        ShareTransaction.member_id == member.id, ShareTransaction.kind == "cancellation"
    )
    return [(row.count, row.value_date) for row in db.session.scalars(rows)]


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_notice_is_settled_on_its_effective_date_and_not_before(holder):
    member = holder(5)
    with acting("cli"):
        notice = give_share_notice(member, 2, DAY)
    with acting("worker"):
        assert settle_due_notices(date(2028, 12, 30)) == []
    assert payouts(member) == [] and cancellations(member) == []

    with acting("worker"):
        settled = settle_due_notices(EFFECTIVE)
    assert [each.id for each in settled] == [notice.id]
    db.session.refresh(member)
    assert member.share_count == 3
    assert cancellations(member) == [(-2, EFFECTIVE)]
    assert payouts(member) == [(2, Decimal("128.00"), EFFECTIVE, PayoutState.OPEN)]
    db.session.refresh(notice)
    assert notice.state == NoticeState.SETTLED
    assert notice.settled_transaction.count == -2
    assert shares_under_notice(member) == 0
    assert {"share.cancellation", "share.payout", "share.notice_settle"} <= set(actions())
    # A second round finds nothing more to do.
    with acting("worker"):
        assert settle_due_notices(date(2029, 1, 5)) == []
    assert len(payouts(member)) == 1


def test_a_late_round_catches_up(holder):
    member = holder(5)
    with acting("cli"):
        give_share_notice(member, 1, DAY)
    with acting("worker"):
        settle_due_notices(date(2029, 2, 1))
    assert payouts(member) == [(1, Decimal("64.00"), EFFECTIVE, "open")]


def test_the_office_marks_a_payout_paid(holder, today):
    member = holder(5)
    with acting("cli"):
        give_share_notice(member, 1, DAY)
    with acting("worker"):
        settle_due_notices(EFFECTIVE)
    payout = db.session.scalar(select(SharePayout).where(SharePayout.member_id == member.id))
    with acting("cli"):
        with pytest.raises(ValidationFailed):
            mark_payout_paid(payout, date(today.year + 1, 1, 1))
        mark_payout_paid(payout, today)
        with pytest.raises(Conflict, match="marked paid already"):
            mark_payout_paid(payout, today)
    assert payouts(member) == [(1, Decimal("64.00"), EFFECTIVE, "paid")]
    assert payout.paid_on == today
    assert actions()[-1] == "share.payout_paid"


def test_leaving_puts_every_share_under_notice(holder):
    member = holder(4)
    with acting("cli"):
        give_share_notice(member, 1, DAY)
        notice = give_membership_notice(member, DAY)
    assert (notice.leaving, notice.count, notice.effective_on) == (True, 3, EFFECTIVE)
    assert (member.status, member.cancelled_on) == ("cancelled", DAY)
    assert shares_under_notice(member) == 4
    assert "member.notice" in actions()


def test_leaving_then_settlement_ends_the_membership(holder):
    member = holder(4)
    with acting("cli"):
        give_share_notice(member, 1, date(2026, 1, 10))
        give_membership_notice(member, DAY)
    with acting("worker"):
        settled = settle_due_notices(EFFECTIVE)
    assert len(settled) == 2
    db.session.refresh(member)
    assert (member.status, member.ended_on, member.share_count) == ("ended", EFFECTIVE, 0)
    assert sorted(payouts(member)) == [
        (1, Decimal("64.00"), EFFECTIVE, "open"),
        (3, Decimal("192.00"), EFFECTIVE, "open"),
    ]
    assert "member.end" in actions()


def test_leaving_without_shares_ends_the_membership_without_a_payout(make_member):
    member = make_member(on=ADMITTED)
    with acting("cli"):
        give_membership_notice(member, DAY)
    with acting("worker"):
        settle_due_notices(EFFECTIVE)
    db.session.refresh(member)
    assert member.status == "ended"
    assert payouts(member) == []


def test_leaving_is_refused_while_a_webspace_exists(holder, make_webspace):
    member = holder(2)
    webspace = make_webspace(member)
    with acting("cli"), pytest.raises(Conflict) as refused:
        give_membership_notice(member, DAY)
    assert str(refused.value.message) == (
        f"End these services before giving notice of membership: Webspaces: {webspace.name}."
    )
    db.session.refresh(member)
    assert member.status == "active"
    assert db.session.scalar(select(ShareNotice).where(ShareNotice.member_id == member.id)) is None


def test_leaving_is_refused_while_a_server_runs(make_user):
    reseller = make_user(Role.RESELLER)
    with acting("cli"):
        record_share_transaction(reseller.member, "subscription", 2, "2025-01-01")
        customer = create_user("leaver-customer@example.org", Role.CUSTOMER, reseller=reseller)
    with acting("cli", reseller):
        server, _ = servers.request_server(reseller, customer.id, "small", ["web"])
    with acting("cli"), pytest.raises(Conflict) as refused:
        give_membership_notice(reseller.member, DAY)
    assert str(refused.value.message) == (
        f"End these services before giving notice of membership: Managed servers: #{server.id}."
    )
    assert reseller.member.status == "active"


def test_only_an_active_member_gives_notice_of_membership(holder):
    member = holder(1)
    with acting("cli"):
        give_membership_notice(member, DAY)
        with pytest.raises(Conflict, match="Only an active member"):
            give_membership_notice(member, DAY)
    assert db.session.query(ShareNotice).filter_by(member_id=member.id).count() == 1


def test_the_command_settles_what_is_due(app, holder, monkeypatch):
    from panel.cli import main

    member = holder(3)
    with acting("cli"):
        give_share_notice(member, 1, date(2020, 3, 1))
        give_share_notice(member, 1, DAY)
    monkeypatch.setattr("panel.create_app", lambda: app)

    done = CliRunner().invoke(main, ["shares", "settle"])

    assert done.exit_code == 0 and "1 notices settled" in done.output
    assert payouts(member) == [(1, Decimal("64.00"), date(2022, 12, 31), "open")]
