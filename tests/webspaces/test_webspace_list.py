"""The webspaces list: pages, sorting, free text (name, member, domain), the state filter, a
member's own rows only; and the admin's new-webspace form naming the member by number."""

import re

import pytest
from list_rows import every_page, small_pages, webspace_row
from sqlalchemy import func, select

from panel.extensions import db
from panel.webspaces import views
from panel.webspaces.models import Webspace


@pytest.fixture
def spaces(make_member, make_host, monkeypatch):
    """Webspaces of two members on two hosts, each column sorting them differently."""
    small_pages(monkeypatch, views, "WEBSPACE_LIST", 2)
    north, south = make_host("north"), make_host("south")
    berta = make_member("bmx", name="Berta")
    anton = make_member("amx", name="Anton")
    return {
        "berta": berta,
        "anton": anton,
        "rows": [
            webspace_row(berta, south, "bmx01", "active", ["xn--bckerei-5wa.example"]),
            webspace_row(anton, north, "amx02", "failed", ["anton.example"]),
            webspace_row(berta, north, "bmx00", "pending", ["web_shop.example"]),
            webspace_row(anton, south, "amx00", "active"),
        ],
    }


NAMES = ("bmx01", "amx02", "bmx00", "amx00")


def listed(client, **args) -> list[str]:
    return every_page(client, "/webspaces", NAMES, **args)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["amx00", "amx02", "bmx00", "bmx01"]),
        # Berta's number (made first) comes before Anton's; ties go by id.
        ("member", ["bmx01", "bmx00", "amx02", "amx00"]),
        ("host", ["amx02", "bmx00", "bmx01", "amx00"]),
        ("state", ["bmx01", "amx00", "amx02", "bmx00"]),
    ],
)
def test_admins_page_and_sort_by_each_column(login_as, spaces, sort, expected):
    client, _ = login_as("admin")
    assert listed(client, sort=sort) == expected
    assert listed(client, sort=sort, dir="desc") == expected[::-1]


def test_the_second_page_holds_the_rest(login_as, spaces):
    client, _ = login_as("admin")
    second = client.get("/webspaces?page=2").get_data(as_text=True)
    assert "bmx00" in second and "bmx01" in second and "amx00" not in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_free_text_finds_name_member_and_domain_and_combines_with_state(login_as, spaces):
    client, _ = login_as("admin")
    assert listed(client, q="amx0") == ["amx00", "amx02"]
    assert listed(client, q="berta") == ["bmx00", "bmx01"]
    assert listed(client, q="anton.example") == ["amx02"]
    # A domain typed as people write it finds its stored ASCII form.
    assert listed(client, q="bäckerei.example") == ["bmx01"]
    assert listed(client, q="b_shop") == ["bmx00"]
    assert listed(client, q="eb_s") == ["bmx00"]
    assert listed(client, q="e_s") == []
    assert listed(client, q="amx", state="active") == ["amx00"]
    assert listed(client, q="berta", state="failed") == []


@pytest.mark.parametrize("sort", ["name", "member", "host", "state"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("q", ["", "x0", "example", "anton"])
def test_a_member_sees_only_its_own_on_every_page(login_as, spaces, sort, direction, q):
    client, _ = login_as(spaces["berta"].users[0])
    shown = listed(client, sort=sort, dir=direction, q=q)
    assert set(shown) <= {"bmx00", "bmx01"}
    if q in ("", "x0", "example"):
        assert sorted(shown) == ["bmx00", "bmx01"]


# --- the new webspace's member, by number -----------------------------------------------


def test_the_admin_form_asks_for_a_number_not_a_choice_of_every_member(login_as, spaces):
    client, _ = login_as("admin")
    html = client.get("/webspaces").get_data(as_text=True)
    assert re.search(r'<input [^>]*name="member_number" [^>]*type="text"', html)
    assert 'name="member_id"' not in html and "Berta</option>" not in html


def count_webspaces() -> int:
    return db.session.scalar(select(func.count()).select_from(Webspace))


@pytest.mark.parametrize("typed", ["M-00099", "99", "Berta"])
def test_an_unknown_number_is_refused_with_a_message_and_kept(login_as, spaces, typed):
    client, _ = login_as("admin")
    before = count_webspaces()
    response = client.post("/webspaces", data={"member_number": typed, "name": "", "host": "north"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"No member has the number {typed}" in html
    assert f'value="{typed}"' in html
    assert count_webspaces() == before


def test_an_empty_number_asks_for_the_member(login_as, spaces):
    client, _ = login_as("admin")
    response = client.post("/webspaces", data={"member_number": "  "})
    assert response.status_code == 422
    assert "Name the member the webspace is for." in response.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["M-00001", "m-00001", "1", " 00001 "])
def test_the_number_as_people_write_it_finds_the_member(login_as, spaces, typed, monkeypatch):
    made = []
    monkeypatch.setattr(
        views.operations,
        "create_webspace",
        lambda member, *rest: made.append(member) or (_Made(), None),
    )
    client, _ = login_as("admin")
    response = client.post("/webspaces", data={"member_number": typed})
    assert response.status_code == 302
    assert [member.id for member in made] == [spaces["berta"].id]


class _Made:
    """What create_webspace answers, as far as the page uses it."""

    id = 1
    name = "bmx02"


def test_the_list_joins_member_and_host_once(app):
    # Joined a second time to load them, they cost PostgreSQL more planning than the run.
    sql = str(views._listed().compile(dialect=db.engine.dialect))
    assert sql.count("JOIN members") == 1 and sql.count("JOIN hosts") == 1, sql


def test_each_row_counts_its_domains_in_the_lists_statement(login_as, spaces, sql_statements):
    client, _ = login_as("admin")
    with sql_statements() as statements:
        page = client.get("/webspaces?sort=name&page=2").get_data(as_text=True)
    cells = re.findall(r'>(bmx0[01])</a></td>.*?data-label="Domains">(\d+)</td>', page, re.S)
    assert cells == [("bmx00", "1"), ("bmx01", "1")]
    first = client.get("/webspaces?sort=name").get_data(as_text=True)
    assert re.search(r'>amx00</a></td>.*?data-label="Domains">0</td>', first, re.S)
    # The count is a subquery of the list's statement; no row's domains are loaded for it.
    assert not [sql for sql in statements if sql.startswith("SELECT domains.")], statements


def test_the_list_reads_of_hosts_and_jobs_only_what_it_shows(login_as, spaces, sql_statements):
    client, _ = login_as("admin")
    with sql_statements() as statements:
        assert client.get("/webspaces").status_code == 200
    (listed,) = [sql for sql in statements if "FROM webspaces JOIN members" in sql]
    # Hosts' facts and jobs' vars are JSON that every row would decode again.
    assert "hosts.name" in listed and "jobs_1.status" in listed, listed
    assert not re.search(r"hosts\.(facts|groups)|jobs_1\.(extra_vars|stats|hosts)", listed), listed
