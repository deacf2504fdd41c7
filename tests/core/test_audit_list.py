"""The audit log's list: free text and sorting besides its filters; a member's activity holds
only entries about it, on every page, sort and search."""

import html
import re

import pytest
from list_rows import audit_row, every_page, small_pages
from sqlalchemy import func, select

from panel.core import views
from panel.core.audit import AuditEntry
from panel.extensions import db

ACTIONS = ("zeta.made", "alpha.changed", "mid.removed")


@pytest.fixture
def entries(make_member, monkeypatch):
    small_pages(monkeypatch, views, "AUDIT_LIST", 2)
    mine = make_member("aum")
    return {
        "mine": mine,
        "rows": [
            audit_row("zeta.made", mine, actor="bob@example.org", source="api", object_id="7"),
            audit_row("alpha.changed", None, actor="ann@example.org", source="cli"),
            audit_row("mid.removed", mine, actor="cid@example.org", source="web"),
        ],
    }


def listed(client, **args):
    return every_page(client, "/audit", ACTIONS, **args)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("at", ["mid.removed", "alpha.changed", "zeta.made"]),
        ("who", ["mid.removed", "zeta.made", "alpha.changed"]),
        ("source", ["mid.removed", "alpha.changed", "zeta.made"]),
        ("action", ["zeta.made", "mid.removed", "alpha.changed"]),
        ("object", ["zeta.made", "mid.removed", "alpha.changed"]),
    ],
)
def test_each_column_sorts_both_ways_over_pages(login_as, entries, sort, expected):
    client, _ = login_as("admin")
    assert listed(client, sort=sort, dir="desc", q=".") == expected
    assert listed(client, sort=sort, dir="asc", q=".") == expected[::-1]


def test_free_text_combines_with_the_filters(login_as, entries):
    client, _ = login_as("admin")
    assert listed(client, q="ANN@") == ["alpha.changed"]
    assert listed(client, q="remov") == ["mid.removed"]
    assert listed(client, q=".", source="api") == ["zeta.made"]
    assert listed(client, q="ann@", source="api") == []
    assert listed(client, q=".", member_id=entries["mine"].id) == ["mid.removed", "zeta.made"]


def activity_items(client, **args) -> int:
    """How many sentences a member's activity shows over all its pages."""
    count, url = 0, client.get("/audit", query_string=args).request.url
    for _ in range(20):
        page = client.get(url).get_data(as_text=True)
        listed_part = page.split('<ol class="activity">', 1)[1].split("</ol>", 1)[0]
        count += listed_part.count("<li><time>")
        link = re.search(r'href="([^"]*)" rel="next"', page)
        if link is None:
            return count
        url = html.unescape(link.group(1))
    raise AssertionError("more than 20 pages")


@pytest.mark.parametrize("sort", ["at", "who", "source", "action", "object"])
@pytest.mark.parametrize("q", ["", ".", "alpha"])
def test_a_member_sees_only_entries_about_it(login_as, entries, sort, q):
    """Members read sentences (panel/core/activity.py): every entry about them (their login
    too, every action has a dot), none of the entry about nobody."""
    client, _ = login_as(entries["mine"].users[0])
    about_it = db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.member_id == entries["mine"].id)
    )
    assert about_it >= 2 and about_it < db.session.scalar(select(func.count(AuditEntry.id)))
    for direction in ("asc", "desc"):
        shown = activity_items(client, sort=sort, dir=direction, q=q)
        assert shown == (0 if q == "alpha" else about_it)
