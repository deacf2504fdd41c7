"""The jobs list: no longer cut off at 50, sorted by each column, searched, filtered, and a
member's own jobs only."""

from datetime import datetime

import pytest
from list_rows import every_page, job_row, small_pages, tbody

from panel.provisioning import views

ACTIONS = ("job_charlie", "job_alpha", "job_delta", "job_bravo")


@pytest.fixture
def jobs(make_member, monkeypatch):
    small_pages(monkeypatch, views, "JOB_LIST", 2)
    mine, other = make_member("jmi"), make_member("jot")
    return {
        "mine": mine,
        "rows": [
            job_row("job_charlie", "failed", ["web2"], mine, datetime(2026, 3, 1)),
            job_row("job_alpha", "successful", ["web1"], other, datetime(2026, 1, 1)),
            job_row("job_delta", "queued", ["web1", "web2"], mine, datetime(2026, 4, 1)),
            job_row("job_bravo", "running", ["web3"], None, datetime(2026, 2, 1)),
        ],
    }


def listed(client, **args) -> list[str]:
    return every_page(client, "/jobs", ACTIONS, **args)


def test_more_than_fifty_jobs_go_on_to_a_second_page(login_as):
    client, _ = login_as("admin")
    first = job_row("job_first")
    for _ in range(50):
        job_row("job_later")
    page_one = client.get("/jobs").get_data(as_text=True)
    page_two = client.get("/jobs?page=2").get_data(as_text=True)
    assert "job_first" not in tbody(page_one) and 'rel="next"' in page_one
    assert f'href="/jobs/{first.id}"' in tbody(page_two)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("id", ["job_bravo", "job_delta", "job_alpha", "job_charlie"]),
        ("action", ["job_delta", "job_charlie", "job_bravo", "job_alpha"]),
        ("status", ["job_alpha", "job_bravo", "job_delta", "job_charlie"]),
        ("queued", ["job_delta", "job_charlie", "job_bravo", "job_alpha"]),
    ],
)
def test_each_column_sorts_newest_or_last_first_and_back(login_as, jobs, sort, expected):
    client, _ = login_as("admin")
    assert listed(client, sort=sort) == expected
    assert listed(client, sort=sort, dir="asc") == expected[::-1]


def test_free_text_finds_action_status_host_and_id_and_combines(login_as, jobs):
    client, _ = login_as("admin")
    assert listed(client, q="ALPHA") == ["job_alpha"]
    assert listed(client, q="web2") == ["job_delta", "job_charlie"]
    assert listed(client, q="runn") == ["job_bravo"]
    assert listed(client, q=str(jobs["rows"][0].id)) == ["job_charlie"]
    assert listed(client, q="9" * 30) == []
    assert listed(client, q="web2", status="failed") == ["job_charlie"]
    assert listed(client, q="web2", host="web1") == ["job_delta"]
    # Over two pages: the next page's link keeps the host filter.
    assert listed(client, q="job", host="web1") == ["job_delta", "job_alpha"]


@pytest.mark.parametrize("sort", ["id", "action", "status", "queued"])
@pytest.mark.parametrize("q", ["", "job", "web1"])
def test_a_member_sees_only_its_own_jobs(login_as, jobs, sort, q):
    client, _ = login_as(jobs["mine"].users[0])
    for direction in ("asc", "desc"):
        shown = listed(client, sort=sort, dir=direction, q=q)
        assert set(shown) <= {"job_charlie", "job_delta"}
        assert "job_delta" in shown


@pytest.mark.parametrize("path", ["/jobs", "/api/v1/jobs"])
def test_the_lists_read_no_jobs_vars(login_as, api_as, jobs, sql_statements, path):
    client = api_as("admin")[0] if path.startswith("/api") else login_as("admin")[0]
    with sql_statements() as statements:
        assert client.get(path).status_code == 200
    (listed,) = [sql for sql in statements if " FROM jobs" in sql and "count(" not in sql]
    # Vars are JSON each row would decode again; secret ones are decrypted only to run a job.
    assert "jobs.action" in listed, listed
    assert "extra_vars" not in listed and "secret_vars" not in listed, listed
