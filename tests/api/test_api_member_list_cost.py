"""The member register names each member's first login without a query per member."""


def test_a_page_of_twenty_members_costs_what_a_page_of_two_does(
    api_as, make_member, sql_statements
):
    client, _ = api_as("admin")
    client.get("/api/v1/account")  # records the token's use, which the next calls need not
    for _ in range(2):
        make_member()
    with sql_statements() as two:
        small = client.get("/api/v1/members?page_size=2")
    for _ in range(18):
        make_member()
    with sql_statements() as twenty:
        large = client.get("/api/v1/members?page_size=20")

    assert len(small.json) == 2 and len(large.json) == 20
    assert all(row["user_id"] for row in large.json)
    assert len(twenty) == len(two), twenty
