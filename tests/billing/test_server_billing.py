"""Cost pools keyed by the managed servers' meters: the reseller's member pays, a line per
server names it."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ledger_rows import held_server, server_row

from panel.billing import operations
from panel.core.audit import acting
from panel.core.errors import ValidationFailed
from panel.core.models import utcnow


def hour_in(month, day):
    return datetime(month.year, month.month, day, 12, tzinfo=UTC)


@pytest.fixture
def servers(make_user, make_host, last_month):
    """Reseller A's customer has two servers (1 h and 2 h last month), reseller B's one (1 h)."""
    allocated = hour_in(last_month, 1)
    made = []
    for name in ("a", "b"):
        reseller = make_user("reseller")
        customer = make_user("customer", reseller=reseller)
        made.append(held_server(make_host(f"srva{name}"), customer, allocated))
        if name == "a":
            made.append(held_server(make_host("srvax"), customer, allocated))
    first, second, other = made
    server_row(first, "server_hours", 3600, hour_in(last_month, 2))
    server_row(second, "server_hours", 3600, hour_in(last_month, 2))
    server_row(second, "server_hours", 3600, hour_in(last_month, 3))
    server_row(other, "server_hours", 3600, hour_in(last_month, 2))
    # This month's hours belong to the next invoice.
    server_row(other, "server_hours", 3600 * 50, utcnow().replace(minute=0, second=0))
    return first, second, other


def test_server_hours_are_invoiced_to_the_resellers_member_a_line_per_server(servers, period):
    first, second, other = servers
    with acting("cli"):
        operations.add_pool(period, "Managed hosts", "100.00", "server_hours")
        operations.add_pool(period, "Host CPU", "30.00", "server_cpu")
        result = operations.run_period(period)
    by_member = {invoice.member_id: invoice for invoice in result.created}
    assert set(by_member) == {first.member_id, other.member_id}
    lines = [
        (line.description, line.quantity, line.unit, line.net, line.key_total)
        for line in by_member[first.member_id].lines
    ]
    assert lines == [
        (f"Managed hosts: {first.hostname}", Decimal(1), "h", Decimal("25.00"), Decimal(4)),
        (f"Managed hosts: {second.hostname}", Decimal(2), "h", Decimal("50.00"), Decimal(4)),
    ]
    (line,) = by_member[other.member_id].lines
    assert (line.description, line.net) == (f"Managed hosts: {other.hostname}", Decimal("25.00"))
    assert line.key == "server_hours"
    # No server used CPU last month: the pool is reported, not shared.
    assert [pool.name for pool in result.unallocated] == ["Host CPU"]


@pytest.mark.parametrize("key", ["server", "server_hour", "SERVER_CPU", "", None])
def test_an_unknown_server_key_is_refused(period, key):
    with pytest.raises(ValidationFailed) as refused, acting("cli"):
        operations.add_pool(period, "Managed hosts", "100.00", key)
    assert "key" in refused.value.fields
    assert period.pools == []
