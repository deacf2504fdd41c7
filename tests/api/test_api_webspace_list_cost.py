"""The webspace list names each webspace's host without a query per host."""

from panel.core.audit import acting
from panel.webspaces.operations import create_webspace


def webspaces_on(member, hosts) -> list[str]:
    with acting("cli"):
        return [create_webspace(member, None, host.name)[0].name for host in hosts]


def test_the_list_costs_the_same_on_one_host_as_on_five(
    api_as, make_member, make_host, web_host, sql_statements
):
    client, _ = api_as("admin")
    one_host, five_hosts = make_member(), make_member()
    others = [make_host(f"web{number}") for number in range(2, 6)]
    webspaces_on(one_host, [web_host] * 5)
    webspaces_on(five_hosts, [web_host, *others])
    client.get("/api/v1/account")  # records the token's use, which the next calls need not

    with sql_statements() as on_one:
        first = client.get(f"/api/v1/webspaces?member_id={one_host.id}")
    with sql_statements() as on_five:
        second = client.get(f"/api/v1/webspaces?member_id={five_hosts.id}")

    assert [row["host"] for row in first.json] == ["web1"] * 5
    assert [row["host"] for row in second.json] == ["web1", "web2", "web3", "web4", "web5"]
    assert len(on_five) == len(on_one), on_five
