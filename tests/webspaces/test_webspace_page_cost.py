"""The webspace page loads each of its parts in one statement, with each item's last job: its
cost does not grow with the domains, databases and SFTP users the webspace holds."""

from hosts_support import new_key

from panel.core.audit import acting
from panel.webspaces import databases, domains, sftp_users

LAZY_LOADS = ("SELECT hosts.", "SELECT jobs.", "SELECT members.")


def test_the_page_costs_the_same_statements_for_one_item_of_each_kind_as_for_three(
    login_as, make_webspace, sql_statements
):
    client, user = login_as("member")
    webspace = make_webspace(user.member)
    costs = []
    for number in range(3):
        with acting("cli"):
            domains.add_domain(webspace, f"shop{number}.example.org")
            databases.create_database(webspace, "mariadb", f"shop{number}")
            sftp_users.create_sftp_user(webspace, f"anna{number}", [new_key("anna").public_line])
        with sql_statements() as statements:
            page = client.get(f"/webspaces/{webspace.id}")
        assert page.status_code == 200
        costs.append(statements)
    assert all(f"shop{number}.example.org" in page.text for number in range(3))
    assert all(f"anna{number}" in page.text for number in range(3))
    assert len(costs[0]) == len(costs[2]), costs
    assert not [sql for sql in costs[2] if sql.startswith(LAZY_LOADS)], costs[2]
    # Of the jobs the page reads what it shows, not their vars and stats (JSON to decode).
    assert not [sql for sql in costs[2] if "extra_vars" in sql], costs[2]
