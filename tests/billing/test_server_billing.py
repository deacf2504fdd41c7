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
        (line.description, line.server_id, line.quantity, line.unit, line.net, line.key_total)
        for line in by_member[first.member_id].lines
    ]
    assert lines == [
        (f"Managed hosts: {first.hostname}", first.id, 1, "h", Decimal("25.00"), 4),
        (f"Managed hosts: {second.hostname}", second.id, 2, "h", Decimal("50.00"), 4),
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


def test_the_reseller_sees_its_invoice_per_customer_and_the_lines_in_the_api(
    servers, period, make_user, login_as, api_as
):
    first, second, other = servers
    # The reseller's second customer gets the second server.
    second.customer_id = make_user(
        "customer", email="bakery@example.org", reseller=first.reseller
    ).id
    with acting("cli"):
        operations.add_pool(period, "Managed hosts", "100.00", "server_hours")
        operations.run_period(period)
        invoice = next(i for i in operations.issue(period) if i.member_id == first.member_id)
    client, _ = login_as(first.reseller)
    page = client.get(f"/invoices/{invoice.id}").text
    table = page.split('class="customer-shares"')[1].split("</table>")[0]
    assert "25.00" in table.split(first.customer.email)[1].split("</tr>")[0]
    assert "50.00" in table.split("bakery@example.org")[1].split("</tr>")[0]
    api, _ = api_as(first.reseller)
    lines = api.get(f"/api/v1/invoices/{invoice.id}").json["lines"]
    assert [line["server_id"] for line in lines] == [first.id, second.id]
    # Another reseller does not see the invoice at all.
    other_page = login_as(other.reseller)[0].get(f"/invoices/{invoice.id}")
    assert other_page.status_code == 404
