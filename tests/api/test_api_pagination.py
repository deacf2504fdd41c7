"""Lists are paged with page and page_size; X-Pagination tells where the page is."""

import json

import pytest


@pytest.fixture
def five_members(make_member):
    return [make_member().id for _ in range(5)]


def pagination(response) -> dict:
    return json.loads(response.headers["X-Pagination"])


def test_pages_of_a_list(api_as, five_members):
    api, _ = api_as("admin")

    first = api.get("/api/v1/members?page_size=2")
    third = api.get("/api/v1/members?page=3&page_size=2")
    beyond = api.get("/api/v1/members?page=9&page_size=2")

    assert [row["id"] for row in first.json] == five_members[:2]
    assert pagination(first) == {
        "total": 5,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
    }
    assert [row["id"] for row in third.json] == five_members[4:]
    assert pagination(third)["previous_page"] == 2 and "next_page" not in pagination(third)
    assert beyond.status_code == 200 and beyond.json == []
    assert pagination(beyond)["total"] == 5


def counts(statements: list[str]) -> list[str]:
    return [statement for statement in statements if "count(" in statement.lower()]


def test_only_a_full_page_counts_the_list(api_as, five_members, sql_statements):
    # A shorter page ends the list: its total is known without counting.
    api, _ = api_as("admin")
    with sql_statements() as whole:
        fits = api.get("/api/v1/members?page_size=10")
    with sql_statements() as last:
        tail = api.get("/api/v1/members?page=3&page_size=2")
    with sql_statements() as full:
        head = api.get("/api/v1/members?page_size=2")

    assert (pagination(fits)["total"], counts(whole)) == (5, [])
    assert (pagination(tail)["total"], counts(last)) == (5, [])
    assert pagination(head)["total"] == 5 and len(counts(full)) == 1


def test_default_page_size_is_ten(api_as, make_member):
    api, _ = api_as("admin")
    for _ in range(11):
        make_member()

    response = api.get("/api/v1/members")

    assert len(response.json) == 10
    assert pagination(response)["total_pages"] == 2


def test_page_far_beyond_the_end_is_empty_not_an_error(api_as, five_members):
    api, _ = api_as("admin")

    response = api.get(f"/api/v1/members?page={10**30}&page_size=100")

    assert (response.status_code, response.json) == (200, [])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=1.5", "page_size"),
    ],
)
def test_bad_paging_is_422(api_as, query, field):
    api, _ = api_as("admin")

    response = api.get(f"/api/v1/members?{query}")

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/members",
        "/api/v1/account/tokens",
        "/api/v1/audit",
        "/api/v1/members/{member_id}/shares",
    ],
)
def test_every_list_is_paged(api_as, path):
    api, user = api_as("member")

    response = api.get(path.format(member_id=user.member_id) + "?page=1&page_size=1")

    assert response.status_code == 200
    assert len(response.json) <= 1
    assert pagination(response)["total"] >= len(response.json)
