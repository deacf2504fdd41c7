"""The member register as a list that grows, and what every list of panel/core/listing.py does:
pages without counting, sorting by each column, free text with % and _ taken literally,
filters that combine, arguments it cannot use falling back to the plain list."""

import pytest
from list_rows import every_page, shown_order, small_pages, tbody
from sqlalchemy import update

from panel.coop import views
from panel.coop.models import Member
from panel.extensions import db


@pytest.fixture
def register(make_member, monkeypatch):
    """Three members whose number, name, prefix, status and shares each sort differently."""
    small_pages(monkeypatch, views, "MEMBER_LIST", 2)
    made = [
        make_member("kmb", name="Carla Cello"),
        make_member("amb", name="Bert Bass", admit=False),
        make_member("zmb", name="Anna Alt"),
    ]
    for member, shares in zip(made, (5, 1, 3), strict=True):
        db.session.execute(update(Member).where(Member.id == member.id).values(share_count=shares))
    db.session.commit()
    return made


NAMES = ("Carla Cello", "Bert Bass", "Anna Alt")


def listed(client, **args) -> list[str]:
    return every_page(client, "/admin/members", NAMES, **args)


def test_a_page_holds_page_size_rows_and_links_the_next(admin, register):
    client, _ = admin
    first = client.get("/admin/members").get_data(as_text=True)
    second = client.get("/admin/members?page=2").get_data(as_text=True)
    assert shown_order(tbody(first), NAMES) == ["Carla Cello", "Bert Bass"]
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert shown_order(tbody(second), NAMES) == ["Anna Alt"]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert "Page 2" in second


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("number", ["Carla Cello", "Bert Bass", "Anna Alt"]),
        ("name", ["Anna Alt", "Bert Bass", "Carla Cello"]),
        ("prefix", ["Bert Bass", "Carla Cello", "Anna Alt"]),
        ("status", ["Carla Cello", "Anna Alt", "Bert Bass"]),
        ("shares", ["Bert Bass", "Anna Alt", "Carla Cello"]),
    ],
)
def test_each_column_sorts_both_ways(admin, register, sort, expected):
    client, _ = admin
    assert listed(client, sort=sort) == expected
    # Equal statuses keep their order by id both ways round: the tiebreaker turns too.
    assert listed(client, sort=sort, dir="desc") == expected[::-1]


def test_the_sorted_header_says_which_way_and_links_the_other(admin, register):
    client, _ = admin
    html = client.get("/admin/members?sort=name&q=a").get_data(as_text=True)
    assert (
        '<th aria-sort="ascending"><a href="/admin/members?q=a&amp;sort=name&amp;dir=desc">' in html
    )
    assert html.count("aria-sort=") == 1
    assert 'href="/admin/members?q=a&amp;sort=shares&amp;dir=asc"' in html


def test_free_text_and_the_status_filter_combine(admin, register):
    client, _ = admin
    assert listed(client, q="bass") == ["Bert Bass"]
    assert listed(client, q="MB@EXAMPLE") == list(NAMES)
    assert listed(client, q="a", status="active") == ["Carla Cello", "Anna Alt"]
    assert listed(client, q="bass", status="active") == []


def test_the_pager_and_the_form_keep_the_text_sort_and_filters(admin, register, monkeypatch):
    client, _ = admin
    small_pages(monkeypatch, views, "MEMBER_LIST", 1)
    html = client.get("/admin/members?q=mb&status=active&sort=name&dir=desc").get_data(as_text=True)
    assert (
        'href="/admin/members?status=active&amp;q=mb&amp;sort=name&amp;dir=desc&amp;page=2"' in html
    )
    assert 'name="q" value="mb"' in html
    assert '<input type="hidden" name="sort" value="name">' in html
    assert '<input type="hidden" name="dir" value="desc">' in html


def test_percent_and_underscore_are_taken_literally(admin, make_member):
    client, _ = admin
    make_member("pct", name="Hundert % Bio")
    make_member("pcu", name="Hundert Bio")
    make_member("usa", name="Erste_Hilfe")
    make_member("usb", name="ErsteXHilfe")
    names = ("Hundert % Bio", "Hundert Bio", "Erste_Hilfe", "ErsteXHilfe")
    percent = client.get("/admin/members?q=%25").get_data(as_text=True)
    underscore = client.get("/admin/members?q=e_h").get_data(as_text=True)
    assert shown_order(tbody(percent), names) == ["Hundert % Bio"]
    assert shown_order(tbody(underscore), names) == ["Erste_Hilfe"]


@pytest.mark.parametrize(
    "args",
    [
        {"sort": "password_hash"},
        {"sort": "number", "dir": "sideways"},
        {"page": "0"},
        {"page": "-2"},
        {"page": "two"},
        {"page": str(10**30)},
        {"q": "\x00"},
        {"status": "everything"},
    ],
)
def test_arguments_it_cannot_use_show_the_plain_list(admin, register, args):
    client, _ = admin
    response = client.get("/admin/members", query_string=args)
    assert response.status_code == 200
    assert shown_order(tbody(response.get_data(as_text=True)), NAMES) == [
        "Carla Cello",
        "Bert Bass",
    ]


def test_an_over_long_text_is_cut_and_finds_nothing(admin, register):
    client, _ = admin
    response = client.get("/admin/members", query_string={"q": "a" * 10_000})
    assert response.status_code == 200
    assert shown_order(tbody(response.get_data(as_text=True)), NAMES) == []
    assert 'value="' + "a" * 100 + '"' in response.get_data(as_text=True)


def test_a_page_past_the_end_is_empty_with_a_way_back(admin, register):
    client, _ = admin
    html = client.get("/admin/members?page=7").get_data(as_text=True)
    assert shown_order(tbody(html), NAMES) == []
    assert 'href="/admin/members?page=6"' in html


def test_the_total_of_shares_covers_every_page_of_the_filter(admin, register):
    client, _ = admin
    html = client.get("/admin/members?status=active").get_data(as_text=True)
    assert "<th>8 · " in html


def test_rows_stack_on_phones_with_a_label_per_cell(admin, register):
    client, _ = admin
    rows = tbody(client.get("/admin/members").get_data(as_text=True))
    assert '<table class="stack">' in client.get("/admin/members").get_data(as_text=True)
    assert rows.count("<td ") == rows.count('<td data-label="') == 10
