"""Who sees a managed server's usage: its reseller (per customer), its customer, nobody else."""

from datetime import timedelta

import pytest
from ledger_rows import held_server, server_row
from sqlalchemy import func, select

from panel.core.models import utcnow
from panel.extensions import db
from panel.metering.models import UsageRecord


def hour_ago():
    return utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


@pytest.fixture
def fleet(make_user, make_host):
    """Reseller's customers Shop and Bakery with a server each; another reseller's server."""
    reseller = make_user("reseller")
    shop = make_user("customer", email="shop@example.org", reseller=reseller, display_name="Shop")
    bakery = make_user("customer", email="bakery@example.org", reseller=reseller)
    stranger = make_user("customer", email="far@example.org", reseller=make_user("reseller"))
    allocated = utcnow() - timedelta(days=2)
    servers = {
        name: held_server(make_host(f"use{name}"), customer, allocated)
        for name, customer in (("shop", shop), ("bakery", bakery), ("far", stranger))
    }
    rows = {
        name: server_row(server, "server_memory", quantity, hour_ago())
        for (name, server), quantity in zip(
            servers.items(), (4_000_000, 9_000_000, 7_000_000), strict=True
        )
    }
    return {"reseller": reseller, "shop": shop, "stranger": stranger}, servers, rows


def test_the_reseller_sees_each_servers_usage_and_each_customers(fleet, login_as):
    users, servers, _ = fleet
    client, _ = login_as(users["reseller"])
    page = client.get("/usage").text
    table = page.split('class="server-usage"')[1].split("</table>")[0]
    shop = table.split(f'id="server-{servers["shop"].id}"')[1].split("</tr>")[0]
    assert servers["shop"].hostname in shop and "Shop" in shop and "4.00 MB·h" in shop
    assert "9.00 MB·h" in table and servers["far"].hostname not in table
    customers = page.split('class="customer-usage"')[1]
    assert "4.00 MB·h" in customers.split("Shop")[1].split("</tr>")[0]
    assert "9.00 MB·h" in customers.split("bakery@example.org")[1].split("</tr>")[0]
    assert "7.00 MB·h" not in page


def test_a_customer_sees_its_own_servers_usage_only(fleet, login_as):
    users, servers, _ = fleet
    client, _ = login_as(users["shop"])
    page = client.get("/usage").text
    assert servers["shop"].hostname in page and "4.00 MB·h" in page
    assert servers["bakery"].hostname not in page and "9.00 MB·h" not in page
    assert 'class="customer-usage"' not in page


def test_the_api_filters_by_server_within_what_the_caller_sees(fleet, api_as):
    users, servers, rows = fleet
    reseller, _ = api_as(users["reseller"])
    answer = reseller.get("/api/v1/usage", query_string={"server": servers["shop"].id})
    assert answer.status_code == 200
    assert [row["id"] for row in answer.json] == [rows["shop"].id]
    assert answer.json[0]["server_id"] == servers["shop"].id
    assert answer.json[0]["webspace_id"] is None
    assert answer.json[0]["resource_name"] == servers["shop"].hostname
    by_customer = reseller.get("/api/v1/usage", query_string={"customer": users["shop"].id})
    assert [row["id"] for row in by_customer.json] == [rows["shop"].id]
    everything = {row["id"] for row in reseller.get("/api/v1/usage").json}
    assert everything == {rows["shop"].id, rows["bakery"].id}

    customer, _ = api_as(users["shop"])
    assert [row["id"] for row in customer.get("/api/v1/usage").json] == [rows["shop"].id]
    mine = customer.get("/api/v1/usage", query_string={"server": servers["shop"].id})
    assert [row["id"] for row in mine.json] == [rows["shop"].id]


@pytest.mark.parametrize(
    ("caller", "server"), [("shop", "bakery"), ("shop", "far"), ("stranger", "shop")]
)
def test_another_customers_or_resellers_server_is_not_found(fleet, api_as, caller, server):
    users, servers, _ = fleet
    client, _ = api_as(users[caller])
    answer = client.get("/api/v1/usage", query_string={"server": servers[server].id})
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("value", "status"), [("2147483000", 404), ("abc", 422), ("0", 422), ("-3", 422), ("", 422)]
)
def test_bad_server_filters_are_refused_and_change_nothing(fleet, api_as, value, status):
    users, _, _ = fleet
    before = db.session.scalar(select(func.count()).select_from(UsageRecord))
    client, _ = api_as(users["reseller"])
    answer = client.get("/api/v1/usage", query_string={"server": value})
    assert answer.status_code == status, answer.json
    if status == 422:
        assert "server" in answer.json["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(UsageRecord)) == before
