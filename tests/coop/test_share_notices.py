"""Notice on shares: when it takes effect, what must stay, withdrawing it, and the shares it
takes from the managed servers' rule."""

from datetime import date

import pytest
from sqlalchemy import select

from panel.accounts.operations import create_user
from panel.coop.models import NoticeState, ShareNotice
from panel.coop.notices import (
    effective_on,
    give_share_notice,
    shares_under_notice,
    subscribe_shares,
    withdraw_share_notice,
)
from panel.coop.operations import cancel_membership, record_share_transaction
from panel.core.audit import AuditEntry, acting
from panel.core.errors import Conflict, ValidationFailed
from panel.core.roles import Role
from panel.extensions import db
from panel.servers import operations as servers

DAY = date(2026, 12, 6)
# Members are admitted before DAY: a membership's notice may not be dated before its start.
ADMITTED = date(2025, 1, 1)


@pytest.fixture
def notice_rules(app):
    """notice_rules(years=..., minimum=..., year_end=...) for one test; the originals come back."""
    keys = {
        "years": "SHARE_NOTICE_YEARS",
        "minimum": "SHARE_MINIMUM",
        "year_end": "FISCAL_YEAR_END",
    }
    original = {key: app.config[key] for key in keys.values()}

    def set_rules(**rules) -> None:
        for name, value in rules.items():
            app.config[keys[name]] = value

    yield set_rules
    app.config.update(original)


@pytest.fixture
def holder(make_member):
    """A member holding SHARES shares."""

    def make(shares: int = 5):
        member = make_member(on=ADMITTED)
        with acting("cli"):
            record_share_transaction(member, "subscription", shares, "2025-01-01")
        return member

    return make


def notice_rows(member) -> list[tuple[int, str]]:
    db.session.expire_all()
    notices = select(ShareNotice).where(ShareNotice.member_id == member.id).order_by(ShareNotice.id)
    return [(notice.count, notice.state) for notice in db.session.scalars(notices)]


@pytest.mark.parametrize(
    ("given", "years", "effective"),
    [
        (date(2026, 12, 6), 2, date(2028, 12, 31)),
        (date(2026, 12, 31), 2, date(2028, 12, 31)),
        (date(2026, 1, 1), 2, date(2028, 12, 31)),
        (date(2027, 1, 1), 2, date(2029, 12, 31)),
        (date(2026, 12, 6), 0, date(2026, 12, 31)),
        (date(2026, 12, 31), 0, date(2026, 12, 31)),
        (date(2026, 3, 15), 1, date(2027, 12, 31)),
        (date(2024, 2, 29), 5, date(2029, 12, 31)),
    ],
)
def test_a_notice_takes_effect_at_the_end_of_a_fiscal_year(notice_rules, given, years, effective):
    notice_rules(years=years)
    assert effective_on(given) == effective


@pytest.mark.parametrize(
    ("given", "effective"),
    [
        (date(2026, 6, 30), date(2028, 6, 30)),
        (date(2026, 7, 1), date(2029, 6, 30)),
        # Two years after 29 February is 1 March at the earliest: past a year ending 28 Feb.
        (date(2024, 2, 29), date(2027, 2, 28)),
    ],
)
def test_a_fiscal_year_other_than_the_calendar_year(notice_rules, given, effective):
    notice_rules(years=2, year_end="06-30" if given.month != 2 else "02-28")
    assert effective_on(given) == effective


def test_a_notice_is_recorded_with_its_effective_date_and_audited(holder, notice_rules):
    notice_rules(years=2, minimum=1)
    member = holder(5)
    with acting("cli"):
        notice = give_share_notice(member, 3, DAY)
    assert (notice.count, notice.given_on, notice.effective_on) == (3, DAY, date(2028, 12, 31))
    assert notice.state == NoticeState.PENDING and not notice.leaving
    assert shares_under_notice(member) == 3
    # The shares are held until the notice takes effect.
    assert member.share_count == 5
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "share.notice"))
    assert entry.member_id == member.id and entry.after["count"] == 3


def test_the_minimum_holding_stays(holder, notice_rules):
    notice_rules(minimum=2)
    member = holder(5)
    with acting("cli"):
        give_share_notice(member, 2, DAY)
        with pytest.raises(Conflict) as refused:
            give_share_notice(member, 2, DAY)
    assert str(refused.value.message) == (
        "Notice is possible on at most 1 of the 5 shares held: 2 are under notice "
        "already and 2 must stay as the minimum holding."
    )
    assert refused.value.fields["count"]
    assert notice_rows(member) == [(2, "pending")]
    with acting("cli"):
        give_share_notice(member, 1, DAY)
    assert notice_rows(member) == [(2, "pending"), (1, "pending")]


def test_a_minimum_of_none_lets_all_shares_go(holder, notice_rules):
    notice_rules(minimum=0)
    member = holder(3)
    with acting("cli"):
        give_share_notice(member, 3, DAY)
    assert shares_under_notice(member) == 3


def reseller_with_server(shares: int, make_user):
    """A reseller's member holding SHARES shares with one requested server (which counts)."""
    reseller = make_user(Role.RESELLER)
    with acting("cli"):
        record_share_transaction(reseller.member, "subscription", shares, "2025-01-01")
        customer = create_user(
            f"customer-of-{reseller.id}@example.org", Role.CUSTOMER, reseller=reseller
        )
    with acting("cli", reseller):
        servers.request_server(reseller, customer.id, "small", ["web"])
    return reseller.member, customer


def test_the_shares_a_server_needs_stay(make_user, notice_rules, app):
    notice_rules(minimum=1)
    assert app.config["SERVER_SHARES_PER_SERVER"] == 2
    member, _ = reseller_with_server(3, make_user)
    with acting("cli"), pytest.raises(Conflict) as refused:
        give_share_notice(member, 2, DAY)
    assert str(refused.value.message) == (
        "Notice is possible on at most 1 of the 3 shares held: 0 are under notice "
        "already and 2 must stay for the services the member runs (Managed servers: 2)."
    )
    assert notice_rows(member) == []
    with acting("cli"):
        give_share_notice(member, 1, DAY)
    assert notice_rows(member) == [(1, "pending")]


def test_shares_under_notice_do_not_count_for_a_new_server(make_user, notice_rules):
    notice_rules(minimum=0)
    member, customer = reseller_with_server(4, make_user)
    reseller = member.users[0]
    with acting("cli"):
        give_share_notice(member, 2, DAY)
    with acting("cli", reseller), pytest.raises(Conflict) as refused:
        servers.request_server(reseller, customer.id, "small", ["web"])
    assert str(refused.value.message) == (
        "With this server the member runs servers that need 4 cooperative shares; it holds 4, "
        "2 of them under notice, 2 missing."
    )


@pytest.mark.parametrize("count", [0, -1, "x", None, True, 10_001])
def test_a_bad_count_is_refused_and_nothing_recorded(holder, count):
    member = holder(5)
    with acting("cli"), pytest.raises(ValidationFailed) as refused:
        give_share_notice(member, count, DAY)
    assert "count" in refused.value.fields
    assert notice_rows(member) == []


def test_a_cancelled_membership_gives_no_notice_on_shares(holder):
    member = holder(5)
    with acting("cli"):
        cancel_membership(member, DAY)
        with pytest.raises(Conflict, match="Only an active member"):
            give_share_notice(member, 1, DAY)
    assert notice_rows(member) == []


def test_a_pending_notice_is_withdrawn_before_it_takes_effect(holder, notice_rules):
    notice_rules(minimum=1)
    member = holder(5)
    with acting("cli"):
        notice = give_share_notice(member, 4, DAY)
        withdraw_share_notice(notice, date(2028, 12, 30))
    assert notice_rows(member) == [(4, "withdrawn")]
    assert shares_under_notice(member) == 0
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "share.notice_withdraw")
    ).before["state"] == ("pending")
    # Its shares are free for another notice again.
    with acting("cli"):
        give_share_notice(member, 4, DAY)


def test_a_notice_cannot_be_withdrawn_once_it_takes_effect_or_twice(holder):
    member = holder(5)
    with acting("cli"):
        notice = give_share_notice(member, 1, DAY)
        with pytest.raises(Conflict, match="no longer be withdrawn"):
            withdraw_share_notice(notice, notice.effective_on)
        withdraw_share_notice(notice, DAY)
        with pytest.raises(Conflict, match="Only a pending notice"):
            withdraw_share_notice(notice, DAY)
    assert notice_rows(member) == [(1, "withdrawn")]


def test_a_member_subscribes_more_shares(holder):
    member = holder(1)
    with acting("cli"):
        booking = subscribe_shares(member, 3, DAY)
    assert (booking.kind, booking.count, booking.value_date) == ("subscription", 3, DAY)
    assert member.share_count == 4


def test_a_membership_under_notice_subscribes_no_shares(holder):
    member = holder(1)
    with acting("cli"):
        cancel_membership(member, DAY)
        with pytest.raises(Conflict, match="under notice or ended"):
            subscribe_shares(member, 1, DAY)
        with pytest.raises(ValidationFailed):
            subscribe_shares(member, 0, DAY)
    assert member.share_count == 1


def test_the_notice_settings_are_checked_at_the_start():
    from panel.config import settings_from_env

    settings = settings_from_env(
        {
            "PANEL_SHARE_NOTICE_YEARS": "0",
            "PANEL_SHARE_MINIMUM": "3",
            "PANEL_FISCAL_YEAR_END": "6-30",
        }
    )
    assert (settings["SHARE_NOTICE_YEARS"], settings["SHARE_MINIMUM"]) == (0, 3)
    assert settings["FISCAL_YEAR_END"] == "06-30"
    for name, value in [
        ("SHARE_NOTICE_YEARS", "-1"),
        ("SHARE_MINIMUM", "one"),
        ("FISCAL_YEAR_END", "02-29"),
        ("FISCAL_YEAR_END", "13-01"),
        ("FISCAL_YEAR_END", "December"),
    ]:
        with pytest.raises(ValueError, match=f"PANEL_{name}"):
            settings_from_env({f"PANEL_{name}": value})
