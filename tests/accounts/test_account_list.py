"""The accounts lists: admins' /admin/users sorted by each column, searched, filtered by role;
a reseller's /customers holds its own customers only, on every page, sort and search."""

from datetime import datetime

import pytest
from list_rows import every_page, small_pages

from panel.accounts import management_views
from panel.extensions import db

# Found by display name: a customer's row names its reseller's address too.
NAMES = ("Zed", "Yve", "Xia")


@pytest.fixture
def accounts(make_user, monkeypatch):
    small_pages(monkeypatch, management_views, "ACCOUNT_LIST", 2)
    reseller = make_user("reseller", email="bea@list.example")
    made = [
        make_user("customer", email="carl@list.example", display_name="Zed", reseller=reseller),
        make_user("admin", email="anna@list.example", display_name="Yve"),
        reseller,
    ]
    made[2].display_name = "Xia"
    for user, when in zip(made, (datetime(2026, 1, 2), None, datetime(2026, 1, 1)), strict=True):
        user.last_login_at = when
    db.session.commit()
    return made


def listed(client, **args):
    return every_page(client, "/admin/users", NAMES, **args)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("email", ["Yve", "Xia", "Zed"]),
        ("name", ["Xia", "Yve", "Zed"]),
        ("role", ["Yve", "Zed", "Xia"]),
        ("login", ["Yve", "Xia", "Zed"]),
    ],
)
def test_each_column_sorts_both_ways_over_pages(login_as, accounts, sort, expected):
    client, _ = login_as("admin")
    assert listed(client, sort=sort, q="list.example") == expected
    assert listed(client, sort=sort, dir="desc", q="list.example") == expected[::-1]


def test_free_text_and_role_combine(login_as, accounts):
    client, _ = login_as("admin")
    assert listed(client, q="zed") == ["Zed"]
    assert listed(client, q="list.example", role="reseller") == ["Xia"]
    assert listed(client, q="zed", role="admin") == []


@pytest.mark.parametrize("sort", ["email", "name", "role", "login"])
@pytest.mark.parametrize("q", ["", "example"])
def test_a_reseller_lists_only_its_own_customers(make_user, login_as, monkeypatch, sort, q):
    small_pages(monkeypatch, management_views, "ACCOUNT_LIST", 1)
    reseller, other = make_user("reseller"), make_user("reseller")
    make_user("customer", email="own1@list.example", reseller=reseller)
    make_user("customer", email="own2@list.example", reseller=reseller)
    make_user("customer", email="theirs@list.example", reseller=other)
    client, _ = login_as(reseller)
    names = ("own1@list.example", "own2@list.example", "theirs@list.example")
    for direction in ("asc", "desc"):
        shown = every_page(client, "/customers", names, sort=sort, dir=direction, q=q)
        assert sorted(shown) == ["own1@list.example", "own2@list.example"]
