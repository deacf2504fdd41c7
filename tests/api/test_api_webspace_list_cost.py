"""The webspace list names each webspace's host without a query per host; a webspace and its
host are read in one statement."""

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


def test_a_webspace_and_its_host_are_read_in_one_statement(
    api_as, make_member, web_host, sql_statements
):
    client, _ = api_as("admin")
    (name,) = webspaces_on(make_member(), [web_host])
    listed = client.get("/api/v1/webspaces").json
    (webspace_id,) = [row["id"] for row in listed if row["name"] == name]

    for path in ("/api/v1/webspaces", f"/api/v1/webspaces/{webspace_id}"):
        with sql_statements() as statements:
            answer = client.get(path)
        assert answer.status_code == 200
        # The host's name comes with the webspace; its facts (JSON) are not read at all.
        assert not [sql for sql in statements if sql.startswith("SELECT hosts.")], statements
        assert not [sql for sql in statements if "hosts.facts" in sql], statements
    assert answer.json["host"] == "web1"
