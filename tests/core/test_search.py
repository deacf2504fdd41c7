"""The admins' search: members by number or name, webspaces, domains (as typed or in ASCII)
and invoice numbers, grouped by kind with links; nobody else may search."""

from datetime import date

import pytest
from list_rows import billing_period, invoice_row, webspace_row

from panel.core import search


@pytest.fixture
def records(make_member, make_host):
    frieda = make_member("fri", name="Frieda Fährmann")
    host = make_host("web7")
    webspace = webspace_row(frieda, host, "fri03", domains=["xn--bckerei-mller-bfb28a.example"])
    invoice = invoice_row(frieda, billing_period(date(2026, 5, 1)), "2026-000777")
    return {"member": frieda, "webspace": webspace, "invoice": invoice}


def found(client, text: str) -> str:
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_kind_is_found_and_linked(login_as, records):
    client, _ = login_as("admin")
    member, webspace = records["member"], records["webspace"]
    by_number = found(client, member.number)
    assert "<h2>Members</h2>" in by_number
    assert f'href="/admin/members/{member.id}">{member.number} Frieda Fährmann</a>' in by_number
    assert f"{member.number} Frieda Fährmann" in found(client, "fährmann")
    by_name = found(client, "fri03")
    assert "<h2>Webspaces</h2>" in by_name
    assert f'href="/webspaces/{webspace.id}">fri03</a>' in by_name
    for typed in ("bäckerei-müller.example", "xn--bckerei", "MLLER-BFB28A"):
        domains = found(client, typed)
        assert "<h2>Domains</h2>" in domains
        assert f'href="/webspaces/{webspace.id}">bäckerei-müller.example</a>' in domains
    invoice = found(client, "000777")
    assert "<h2>Invoices</h2>" in invoice
    assert f'href="/invoices/{records["invoice"].id}">2026-000777</a>' in invoice


def test_one_text_finds_several_kinds_in_their_groups(login_as, records):
    client, _ = login_as("admin")
    html = found(client, "fri")
    assert html.index("<h2>Members</h2>") < html.index("<h2>Webspaces</h2>")
    assert "<h2>Invoices</h2>" not in html


def test_percent_and_underscore_are_literal_and_nothing_found_says_so(login_as, records):
    client, _ = login_as("admin")
    for text in ("%", "f_i"):
        html = found(client, text)
        assert "<h2>" not in html.split("</form>")[-1] and "Nothing found for" in html


def test_many_hits_say_there_are_more(login_as, make_member, monkeypatch):
    monkeypatch.setattr(search, "HITS_PER_KIND", 2)
    for prefix in ("maa", "mab", "mac"):
        make_member(prefix, name="Many Namesake")
    client, _ = login_as("admin")
    html = found(client, "namesake")
    assert html.count("Many Namesake</a>") == 2
    assert "More found than shown" in html


def test_the_header_holds_the_search_box_for_admins_only(login_as):
    admin, _ = login_as("admin")
    member, _ = login_as("member")
    assert 'action="/search"' in admin.get("/").get_data(as_text=True)
    assert 'action="/search"' not in member.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["member", "reseller", "customer"])
def test_other_roles_may_not_search(login_as, make_user, records, role):
    reseller = make_user("reseller") if role == "customer" else None
    client, _ = login_as(role, **({"reseller": reseller} if reseller else {}))
    response = client.get("/search", query_string={"q": records["member"].number})
    assert response.status_code == 403
    assert "Frieda" not in response.get_data(as_text=True)


def test_anonymous_callers_are_sent_to_log_in(client):
    response = client.get("/search?q=fri")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
