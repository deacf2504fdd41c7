"""Properties of billing for any usage and pools: the shares add up to the pools to the cent, and
no member pays for usage it did not have."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ledger_rows import ledger_row
from sqlalchemy import select

from panel.billing import keys, operations
from panel.billing.models import Invoice
from panel.billing.rating import CENT, allocate, percent_of
from panel.coop.operations import create_member
from panel.core.audit import acting
from panel.extensions import db
from panel.webspaces.models import Webspace

METERS = tuple(keys.METERED)
cents = st.integers(min_value=0, max_value=10**9)
positive_usage = st.builds(
    lambda digits, places: Decimal(digits).scaleb(-places),
    st.integers(min_value=1, max_value=10**18),
    st.integers(min_value=0, max_value=9),
)


@st.composite
def usage_maps(draw) -> dict[str, Decimal]:
    """1 to 50 users, some without usage, at least one with."""
    values = draw(st.lists(st.just(Decimal(0)) | positive_usage, min_size=1, max_size=50))
    if not any(values):
        values[draw(st.integers(min_value=0, max_value=len(values) - 1))] = draw(positive_usage)
    return {f"user{index}": value for index, value in enumerate(values)}


@settings(max_examples=300, deadline=None)
@given(cents, usage_maps())
def test_allocate_shares_the_amount_out_exactly_in_whole_cents(amount_cents, usage):
    amount = Decimal(amount_cents) * CENT
    shares = allocate(amount, usage)
    total = sum(map(Fraction, usage.values()))
    assert set(shares) == set(usage)
    assert sum(share.amount for share in shares.values()) == amount
    for key, share in shares.items():
        exact = Fraction(amount) * Fraction(usage[key]) / total
        assert share.amount.as_tuple().exponent == -2
        assert share.amount == share.amount.quantize(CENT) >= 0
        assert abs(Fraction(share.amount) - exact) < Fraction(1, 100)
        # The exact value the invoice line shows, to its twelve places.
        assert abs(Fraction(share.exact) - exact) < Fraction(1, 10**12)
        if usage[key] == 0:
            assert share.amount == 0 and share.exact == 0
    for a, b in itertools.permutations(usage, 2):
        if usage[a] > usage[b]:
            assert shares[a].amount >= shares[b].amount
        elif usage[a] == usage[b]:
            assert abs(shares[a].amount - shares[b].amount) <= CENT


# A ledger row's quantity in the ledger's unit (bytes, requests, CPU seconds, byte-hours); rows
# of zero (a meter that was read but did not move) are common.
ledger_quantity = st.just(Decimal(0)) | st.builds(
    lambda digits, places: Decimal(digits).scaleb(-places),
    st.integers(min_value=1, max_value=10**13),
    st.integers(min_value=0, max_value=6),
)
# Per member: meter → the quantities of its hourly rows in the month (no entry: no rows).
member_ledgers = st.lists(
    st.dictionaries(
        st.sampled_from(METERS), st.lists(ledger_quantity, min_size=1, max_size=3), max_size=5
    ),
    min_size=2,
    max_size=8,
)
pool_specs = st.lists(st.tuples(st.sampled_from(METERS), cents), min_size=1, max_size=5)


@pytest.fixture
def host_id(make_host) -> int:
    return make_host("prop1").id


# Each example runs in a savepoint of the test's transaction that is rolled back afterwards,
# so the fixtures' once-per-test values (the connection, the host) are what every example needs.
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(member_ledgers, pool_specs)
# A large pool over a tiny total usage: unit prices with 17 and 23 digits before the point.
@example(ledgers=[{"traffic": [Decimal(1)]}, {}], pools=[("traffic", 10**9)])
@example(ledgers=[{"disk": [Decimal("0.000001")]}, {}], pools=[("disk", 10**9)])
# The longest key (video participant time), always: a pool and its lines must hold its name.
@example(ledgers=[{"video_participants": [Decimal(90)]}, {}], pools=[("video_participants", 7)])
def test_a_run_shares_every_pool_out_to_the_cent_and_only_to_its_users(
    transaction, host_id, last_month, ledgers, pools
):
    # The session must hold no savepoint of its own, or its commits would end ours.
    db.session.close()
    savepoint = transaction.begin_nested()
    try:
        _check_run(host_id, last_month, ledgers, pools)
    finally:
        db.session.close()
        savepoint.rollback()


def _check_run(host_id, month, ledgers, pool_specs) -> None:
    with acting("cli"):
        period = operations.open_period(month.strftime("%Y-%m"), vat_percent="19")
        member_ids = [
            _member_with_ledger(index, host_id, month, ledger)
            for index, ledger in enumerate(ledgers)
        ]
        pools = [
            operations.add_pool(period, f"Pool {number}", Decimal(amount) * CENT, key)
            for number, (key, amount) in enumerate(pool_specs)
        ]
        result = operations.run_period(period)
    users = {
        meter: {
            member_id
            for member_id, ledger in zip(member_ids, ledgers, strict=True)
            if sum(ledger.get(meter, ())) > 0
        }
        for meter in METERS
    }
    db.session.expire_all()
    invoices = db.session.scalars(select(Invoice).where(Invoice.period_id == period.id)).all()
    assert {invoice.id for invoice in invoices} == {invoice.id for invoice in result.created}
    lines = [line for invoice in invoices for line in invoice.lines]
    assert {pool.id for pool in result.unallocated} == {
        pool.id for pool in pools if not users[pool.key]
    }
    for pool in pools:
        of_pool = [line for line in lines if line.pool_id == pool.id]
        if users[pool.key]:
            assert sum(line.net for line in of_pool) == pool.amount
            # A member without usage of the key gets no line for it, not even one of 0.00.
            assert {line.invoice.member_id for line in of_pool} <= users[pool.key]
        else:
            assert of_pool == []
    for invoice in invoices:
        assert invoice.net == sum(line.net for line in invoice.lines)
        assert invoice.vat == percent_of(invoice.net, Decimal(19))
        assert invoice.vat == sum(line.vat for line in invoice.lines)
        assert invoice.gross == invoice.net + invoice.vat


def _member_with_ledger(index: int, host_id: int, month, ledger: dict) -> int:
    """A member, its webspace and its hourly ledger rows in the month; the member's id."""
    prefix = "pa" + chr(97 + index)
    member = create_member(name=f"Member {prefix}", email=f"{prefix}@example.org", prefix=prefix)
    webspace = Webspace(
        member_id=member.id,
        name=f"{prefix}00",
        host_id=host_id,
        state="active",
        max_domains=1,
        max_databases=1,
        max_users=1,
        quota_mib=1024,
    )
    db.session.add(webspace)
    db.session.commit()
    first = datetime(month.year, month.month, 1, tzinfo=UTC)
    for meter, quantities in ledger.items():
        for hour, quantity in enumerate(quantities):
            start = first + timedelta(days=index, hours=hour)
            ledger_row(webspace, meter, quantity, start)
    return member.id
