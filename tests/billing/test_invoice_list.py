"""The invoices list: pages, each column sorted, free text over numbers and the member; a
member sees its own issued invoices only, on every page, sort and search."""

from datetime import date

import pytest
from list_rows import billing_period, every_page, invoice_row, small_pages

from panel.billing import views

NUMBERS = ("2026-000003", "2026-000001", "2026-000004", "2026-000002")


@pytest.fixture
def invoices(make_member, monkeypatch):
    small_pages(monkeypatch, views, "INVOICE_LIST", 2)
    zora = make_member("zor", name="Zora Zeder")
    adam = make_member("ada", name="Adam Ahorn")
    january, february = billing_period(date(2026, 1, 1)), billing_period(date(2026, 2, 1))
    return {
        "zora": zora,
        "rows": [
            invoice_row(zora, february, "2026-000003", "30.00"),
            invoice_row(adam, january, "2026-000001", "5.00"),
            invoice_row(zora, january, "2026-000004", "-2.00", kind="credit_note"),
            invoice_row(adam, february, "2026-000002", "12.50", kind="supplementary"),
            invoice_row(zora, february, None, "99.00"),
        ],
    }


def listed(client, **args):
    return every_page(client, "/invoices", NUMBERS, **args)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("number", ["2026-000001", "2026-000002", "2026-000003", "2026-000004"]),
        ("month", ["2026-000001", "2026-000004", "2026-000003", "2026-000002"]),
        ("member", ["2026-000003", "2026-000004", "2026-000001", "2026-000002"]),
        ("kind", ["2026-000004", "2026-000003", "2026-000001", "2026-000002"]),
        ("gross", ["2026-000004", "2026-000001", "2026-000002", "2026-000003"]),
    ],
)
def test_each_column_sorts_both_ways_over_pages(login_as, invoices, sort, expected):
    client, _ = login_as("admin")
    # The draft has no number: first going up, last coming down.
    assert listed(client, sort=sort, dir="asc") == expected
    assert listed(client, sort=sort, dir="desc") == expected[::-1]


def test_newest_first_by_default(login_as, invoices):
    client, _ = login_as("admin")
    assert listed(client) == ["2026-000002", "2026-000004", "2026-000001", "2026-000003"]


def test_free_text_finds_number_and_member(login_as, invoices):
    client, _ = login_as("admin")
    assert listed(client, q="000004") == ["2026-000004"]
    assert listed(client, q="ahorn", sort="number", dir="asc") == ["2026-000001", "2026-000002"]
    assert listed(client, q=invoices["zora"].number, sort="number", dir="asc") == [
        "2026-000003",
        "2026-000004",
    ]


@pytest.mark.parametrize("sort", ["number", "month", "member", "kind", "gross"])
@pytest.mark.parametrize("q", ["", "2026", "ahorn"])
def test_a_member_sees_only_its_own_issued_invoices(login_as, invoices, sort, q):
    client, _ = login_as(invoices["zora"].users[0])
    for direction in ("asc", "desc"):
        shown = listed(client, sort=sort, dir=direction, q=q)
        assert sorted(shown) == ([] if q == "ahorn" else ["2026-000003", "2026-000004"])
        page = client.get("/invoices", query_string={"sort": sort, "q": q}).get_data(as_text=True)
        assert "draft" not in page.lower().split("<tbody>")[1]
