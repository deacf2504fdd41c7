"""Proxies: a member votes for another that authorised it, within the statute's limit and
without chains."""

from datetime import UTC, datetime, timedelta

import pytest
from resolutions_support import CUTOFF, end_vote, make_resolution
from sqlalchemy import select

from panel.core.audit import AuditEntry
from panel.core.errors import Conflict, Forbidden, ValidationFailed
from panel.extensions import db
from panel.governance import operations
from panel.governance.models import Participation, Phase, Proxy


@pytest.fixture
def proxies_per_member(app):
    """proxies_per_member(n) sets GOVERNANCE_PROXIES_PER_MEMBER for one test."""
    original = app.config["GOVERNANCE_PROXIES_PER_MEMBER"]

    def set_limit(limit: int) -> None:
        app.config["GOVERNANCE_PROXIES_PER_MEMBER"] = limit

    yield set_limit
    app.config["GOVERNANCE_PROXIES_PER_MEMBER"] = original


def test_a_proxy_votes_for_its_principal_besides_its_own_vote(voter):
    resolution = make_resolution()
    principal, proxy = voter(), voter()
    operations.authorise_proxy(resolution, principal, proxy)
    motion = operations.motion(resolution).id

    own = operations.cast_ballot(resolution, proxy, {motion: "yes"})
    for_principal = operations.cast_ballot(
        resolution, proxy, {motion: "no"}, on_behalf_of=principal
    )

    assert own != for_principal
    participations = db.session.execute(
        select(Participation.member_id, Participation.cast_by_id).order_by(Participation.id)
    ).all()
    assert participations == [(proxy.id, None), (principal.id, proxy.id)]
    assert operations.my_receipt(resolution, principal) == for_principal
    # The principal may still vote itself: its vote replaces the proxy's.
    operations.cast_ballot(resolution, principal, {motion: "abstain"})
    end_vote(resolution)
    result = operations.result_of(resolution)
    assert (result.motion.yes, result.motion.no, result.motion.abstain) == (1, 0, 1)


def test_proxies_are_audited_without_a_ballot(voter):
    resolution = make_resolution(phase=Phase.DISCUSSION)
    principal, proxy = voter(), voter()
    given = operations.authorise_proxy(resolution, principal, proxy)
    operations.revoke_proxy(given)

    entries = db.session.execute(
        select(AuditEntry.action, AuditEntry.member_id, AuditEntry.before, AuditEntry.after)
        .where(AuditEntry.action.like("resolution.proxy%"))
        .order_by(AuditEntry.id)
    ).all()
    names = {"principal": principal.number, "proxy": proxy.number}
    assert entries == [
        ("resolution.proxy", principal.id, None, names),
        ("resolution.proxy_revoke", principal.id, names, None),
    ]
    assert db.session.scalar(select(Proxy)) is None


def test_voting_for_a_member_needs_its_proxy(voter, count_rows):
    resolution = make_resolution()
    principal, proxy, stranger = voter(), voter(), voter()
    given = operations.authorise_proxy(resolution, principal, proxy)
    motion = operations.motion(resolution).id

    with pytest.raises(Forbidden, match="has not authorised you") as refused:
        operations.cast_ballot(resolution, stranger, {motion: "yes"}, on_behalf_of=principal)
    assert list(refused.value.fields) == ["on_behalf_of"]
    operations.revoke_proxy(given)
    with pytest.raises(Forbidden, match="has not authorised you"):
        operations.cast_ballot(resolution, proxy, {motion: "yes"}, on_behalf_of=principal)
    assert count_rows(Participation) == 0


def _refused(count_rows, error, match, resolution, principal, proxy):
    before = count_rows(Proxy)
    with pytest.raises(error, match=match):
        operations.authorise_proxy(resolution, principal, proxy)
    assert count_rows(Proxy) == before


def test_no_proxy_to_oneself(voter, count_rows):
    member = voter()
    _refused(count_rows, ValidationFailed, "your own proxy", make_resolution(), member, member)


def test_no_proxy_chains(voter, count_rows):
    resolution = make_resolution()
    first, second, third = voter(), voter(), voter()
    operations.authorise_proxy(resolution, first, second)

    # The proxy cannot pass the vote on, and who gave a proxy cannot receive one.
    _refused(count_rows, Conflict, "act as proxy for others", resolution, second, third)
    _refused(count_rows, ValidationFailed, "given a proxy themselves", resolution, third, first)
    _refused(count_rows, Conflict, "already authorised", resolution, first, third)


def test_a_member_represents_at_most_as_many_as_the_statute_allows(
    voter, count_rows, proxies_per_member
):
    resolution = make_resolution()
    proxy, first, second, third = voter(), voter(), voter(), voter()
    operations.authorise_proxy(resolution, first, proxy)

    _refused(
        count_rows,
        Conflict,
        r"as many members as the statute allows \(1\)",
        resolution,
        second,
        proxy,
    )
    proxies_per_member(2)
    operations.authorise_proxy(resolution, second, proxy)
    _refused(count_rows, Conflict, r"statute allows \(2\)", resolution, third, proxy)
    assert [m.number for m in operations.principals_of(resolution, proxy)] == sorted(
        [first.number, second.number]
    )


def test_a_limit_of_zero_turns_proxies_off(voter, count_rows, proxies_per_member):
    proxies_per_member(0)
    _refused(count_rows, Forbidden, "allows no proxies", make_resolution(), voter(), voter())


def test_both_must_be_on_the_register_at_the_cutoff(voter, count_rows):
    resolution = make_resolution()
    late = voter(on=CUTOFF + timedelta(days=1))

    _refused(count_rows, ValidationFailed, "was not on the register", resolution, voter(), late)
    _refused(count_rows, Forbidden, "Only members on the register", resolution, late, voter())


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.CLOSED])
def test_no_proxy_before_the_announcement_or_after_the_close(voter, count_rows, phase):
    resolution = make_resolution(phase=phase)
    _refused(count_rows, Conflict, "Proxies are given and revoked", resolution, voter(), voter())


def test_no_proxy_changes_once_the_voting_time_is_over(voter, count_rows):
    resolution = make_resolution()
    principal = voter()
    given = operations.authorise_proxy(resolution, principal, voter())
    resolution.voting_until = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()

    _refused(count_rows, Conflict, "Proxies are given", resolution, voter(), voter())
    with pytest.raises(Conflict, match="Proxies are given"):
        operations.revoke_proxy(given)
    assert operations.proxy_of(resolution, principal) == given
