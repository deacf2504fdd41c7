"""The hosts list: pages, each column sorted, free text over name, address, role and groups."""

import pytest
from list_rows import every_page, small_pages

from panel.extensions import db
from panel.hosts import views

NAMES = ("hostc", "hosta", "hostb")


@pytest.fixture
def hosts(make_host, monkeypatch):
    small_pages(monkeypatch, views, "HOST_LIST", 2)
    made = [
        make_host("hostc", groups=["berlin"]),
        make_host("hosta", state="unreachable"),
        make_host("hostb", groups=["hamburg"], state="new"),
    ]
    for host, address, role in zip(
        made,
        ("198.18.0.9", "198.18.0.7", "198.18.0.8"),
        ("bbb", "webspace", "managed"),
        strict=True,
    ):
        host.address, host.role = address, role
    db.session.commit()
    return made


def listed(client, **args):
    return every_page(client, "/admin/hosts", NAMES, **args)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["hosta", "hostb", "hostc"]),
        ("address", ["hosta", "hostb", "hostc"]),
        ("role", ["hostc", "hostb", "hosta"]),
        ("state", ["hostb", "hostc", "hosta"]),
    ],
)
def test_each_column_sorts_both_ways_over_pages(login_as, hosts, sort, expected):
    client, _ = login_as("admin")
    assert listed(client, sort=sort) == expected
    assert listed(client, sort=sort, dir="desc") == expected[::-1]


def test_free_text_finds_name_address_role_and_group(login_as, hosts):
    client, _ = login_as("admin")
    assert listed(client, q="HOSTB") == ["hostb"]
    assert listed(client, q="0.7") == ["hosta"]
    assert listed(client, q="manag") == ["hostb"]
    assert listed(client, q="hamb") == ["hostb"]
    assert listed(client, q="host", sort="name", dir="desc") == ["hostc", "hostb", "hosta"]
