"""The domains list: every domain one may see across the webspaces, paged, sorted by each
column, found by free text (the domain as people write it, the webspace, the member), filtered
by state; a member sees only its own, a customer those of the webspaces serving it."""

from datetime import datetime

import pytest
from list_rows import every_page, small_pages, webspace_row

from panel.extensions import db
from panel.webspaces import views
from panel.webspaces.models import Domain

NAMES = ("anton.example", "bäckerei.example", "web_shop.example", "zeta.example")


@pytest.fixture
def domains(make_member, make_host, monkeypatch):
    """Four domains of two members in three webspaces, each column ordering them differently."""
    small_pages(monkeypatch, views, "DOMAIN_LIST", 2)
    host = make_host("north")
    berta = make_member("bmx", name="Berta")
    anton = make_member("amx", name="Anton")
    webspace_row(berta, host, "bmx01", domains=["xn--bckerei-5wa.example", "zeta.example"])
    webspace_row(anton, host, "amx00", domains=["anton.example"])
    webspace_row(berta, host, "bmx00", domains=["web_shop.example"])
    rows = {domain.name: domain for domain in db.session.query(Domain)}
    rows["zeta.example"].state = "unverified"
    rows["anton.example"].state = "failed"
    rows["xn--bckerei-5wa.example"].tls_not_after = datetime(2027, 1, 5, 12, 0)
    rows["web_shop.example"].tls_not_after = datetime(2026, 12, 24, 12, 0)
    db.session.commit()
    return {"berta": berta, "anton": anton}


def listed(client, **args) -> list[str]:
    return every_page(client, "/domains", NAMES, **args)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (
            "name",
            ["anton.example", "web_shop.example", "bäckerei.example", "zeta.example"],
        ),
        (
            "webspace",
            ["anton.example", "web_shop.example", "bäckerei.example", "zeta.example"],
        ),
        # Berta's number (made first) comes before Anton's; ties go by id.
        (
            "member",
            ["bäckerei.example", "zeta.example", "web_shop.example", "anton.example"],
        ),
        (
            "state",
            ["bäckerei.example", "web_shop.example", "anton.example", "zeta.example"],
        ),
        # No certificate date yet comes first going up.
        (
            "certificate",
            ["zeta.example", "anton.example", "web_shop.example", "bäckerei.example"],
        ),
    ],
)
def test_admins_page_and_sort_by_each_column(login_as, domains, sort, expected):
    client, _ = login_as("admin")
    assert listed(client, sort=sort) == expected
    assert listed(client, sort=sort, dir="desc") == expected[::-1]


def test_the_page_shows_domains_as_people_write_them_with_their_certificate(login_as, domains):
    client, _ = login_as("admin")
    page = client.get("/domains?sort=name&page=2").get_data(as_text=True)
    assert "bäckerei.example" in page and "valid until January 5, 2027" in page
    assert 'rel="prev"' in page and 'rel="next"' not in page


def test_free_text_finds_domain_webspace_and_member_and_combines_with_state(login_as, domains):
    client, _ = login_as("admin")
    assert listed(client, q="bäckerei.example") == ["bäckerei.example"]
    assert listed(client, q="b_shop") == ["web_shop.example"]
    assert listed(client, q="e_s") == []
    assert listed(client, q="amx00") == ["anton.example"]
    assert listed(client, q="berta", sort="name") == [
        "web_shop.example",
        "bäckerei.example",
        "zeta.example",
    ]
    assert listed(client, q="berta", state="unverified") == ["zeta.example"]
    assert listed(client, state="failed") == ["anton.example"]


@pytest.mark.parametrize("sort", ["name", "webspace", "member", "state", "certificate"])
@pytest.mark.parametrize("q", ["", "example", "anton"])
def test_a_member_sees_only_its_own_domains(login_as, domains, sort, q):
    client, _ = login_as(domains["berta"].users[0])
    for direction in ("asc", "desc"):
        shown = sorted(listed(client, sort=sort, dir=direction, q=q))
        assert shown == ([] if q == "anton" else sorted(set(NAMES) - {"anton.example"}))


def test_a_bad_sort_or_page_falls_back_and_an_unknown_state_is_ignored(login_as, domains):
    client, _ = login_as("admin")
    assert client.get("/domains?sort=password&dir=sideways&page=-3").status_code == 200
    assert len(listed(client, state="no-such-state")) == 4
