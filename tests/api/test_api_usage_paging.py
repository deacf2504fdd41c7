"""The usage ledger's pages are not counted to the ledger's end: X-Pagination counts up to the
row after the page and says whether more follow."""

import json
from datetime import timedelta

import pytest
from ledger_rows import ledger_row

from panel.core.models import utcnow

METRICS = ("traffic", "requests", "cpu")
HOURS = 9


@pytest.fixture
def ledger(api_as, make_webspace):
    """A member's client and the ids of its 27 ledger rows."""
    client, user = api_as("member")
    webspace = make_webspace(user.member)
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS)
    rows = [
        ledger_row(webspace, metric, 1, start + timedelta(hours=hour))
        for hour in range(HOURS)
        for metric in METRICS
    ]
    return client, [row.id for row in rows]


def pagination(answer) -> dict:
    return json.loads(answer.headers["X-Pagination"])


def test_a_page_is_one_query_and_nothing_is_counted(ledger, sql_statements):
    client, _ = ledger

    with sql_statements() as statements:
        answer = client.get("/api/v1/usage?page=2&page_size=5")

    assert answer.status_code == 200 and len(answer.json) == 5
    usage_queries = [statement for statement in statements if "usage_records" in statement]
    assert len(usage_queries) == 1, usage_queries
    assert "count(" not in usage_queries[0].lower()
    assert pagination(answer) == {
        "total": 11,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 2,
        "previous_page": 1,
        "next_page": 3,
        "more": True,
    }


def test_following_next_page_walks_every_row_once(ledger):
    client, ids = ledger
    seen, page = [], 1

    while page is not None:
        answer = client.get(f"/api/v1/usage?page={page}&page_size=4")
        seen += [row["id"] for row in answer.json]
        page = pagination(answer).get("next_page")

    assert sorted(seen) == sorted(ids)
    assert pagination(answer) == {
        "total": 27,
        "total_pages": 7,
        "first_page": 1,
        "last_page": 7,
        "page": 7,
        "previous_page": 6,
        "more": False,
    }


def test_the_last_full_page_knows_it_is_the_last(ledger):
    client, _ = ledger

    answer = client.get("/api/v1/usage?page=3&page_size=9")

    assert len(answer.json) == 9
    assert pagination(answer)["total"] == 27 and pagination(answer)["more"] is False
    assert "next_page" not in pagination(answer)


def test_a_page_past_the_end_counts_no_further_than_its_start(ledger, sql_statements):
    client, _ = ledger

    with sql_statements() as statements:
        answer = client.get("/api/v1/usage?page=20&page_size=2")

    assert (answer.status_code, answer.json) == (200, [])
    assert pagination(answer) == {
        "total": 27,
        "total_pages": 14,
        "first_page": 1,
        "last_page": 14,
        "more": False,
    }
    [count] = [statement for statement in statements if "count(" in statement.lower()]
    assert "LIMIT" in count


def test_an_empty_ledger_is_one_empty_page(api_as):
    client, _ = api_as("member")

    answer = client.get("/api/v1/usage")

    assert (answer.status_code, answer.json) == (200, [])
    assert pagination(answer) == {"total": 0, "total_pages": 0, "more": False}


def test_a_page_far_beyond_any_ledger_is_empty(ledger):
    client, _ = ledger

    answer = client.get(f"/api/v1/usage?page={10**30}&page_size=100")

    assert (answer.status_code, answer.json) == (200, [])
    assert pagination(answer)["total"] == 27


def test_the_document_describes_the_more_flag(client):
    document = client.get("/api/v1/openapi.json").json
    header = document["paths"]["/api/v1/usage"]["get"]["responses"]["200"]["headers"]
    schema = header["X-Pagination"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]

    assert document["components"]["schemas"][name]["properties"]["more"]["type"] == "boolean"
