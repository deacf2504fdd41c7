"""The member register in the browser (admin): list, create, detail, edit, status, shares, CSV."""

import csv
import io
from datetime import date

import pytest

from panel.accounts.models import User
from panel.coop.models import Member, ShareTransaction
from panel.coop.operations import MEMBER_FIELDS, record_share_transaction
from panel.core.audit import AuditEntry
from panel.extensions import db

DAY = date(2024, 3, 1)
NEW_MEMBER = {
    "name": "Genossenschaft Nord eG",
    "email": "nord@example.org",
    "prefix": "nor",
    "kind": "legal",
    "admit": "y",
    "phone": "",
    "street": "Deich 1",
    "postal_code": "25761",
    "city": "Büsum",
    "country": "DE",
}


def page(response) -> str:
    return response.get_data(as_text=True)


# --- the list ---------------------------------------------------------------------------


def test_the_register_lists_every_member(admin, make_member):
    client, _ = admin
    first = make_member("abc", name="Anna Acker")
    second = make_member("xyz", name="Xaver Xylo", admit=False)
    response = client.get("/admin/members")
    assert response.status_code == 200
    html = page(response)
    for member in (first, second):
        assert member.number in html
        assert member.name in html
        assert member.email in html
        assert f"/admin/members/{member.id}" in html


def test_the_register_filters_by_status(admin, make_member):
    client, _ = admin
    active = make_member("abc", name="Anna Active")
    applicant = make_member("xyz", name="Abe Applicant", admit=False)
    html = page(client.get("/admin/members?status=applicant"))
    assert applicant.name in html and active.name not in html
    html = page(client.get("/admin/members?status=active"))
    assert active.name in html and applicant.name not in html
    # An unknown status is no filter at all.
    html = page(client.get("/admin/members?status=bogus"))
    assert active.name in html and applicant.name in html


@pytest.mark.parametrize("query", ["berta", "BERTA", "bbb", "M-00002", "berta@exa"])
def test_the_register_searches_name_email_number_prefix(admin, make_member, query):
    client, _ = admin
    make_member("aaa", name="Anton", email="anton@example.org")
    make_member("bbb", name="Berta", email="berta@example.org")
    html = page(client.get("/admin/members", query_string={"q": query}))
    assert "Berta" in html
    assert "Anton" not in html


@pytest.mark.parametrize("query", ["%", "_", "\\"])
def test_search_wildcards_are_taken_literally(admin, make_member, query):
    client, _ = admin
    make_member("aaa", name="Anton")
    html = page(client.get("/admin/members", query_string={"q": query}))
    assert "Anton" not in html


def test_a_huge_search_is_cut_not_failed(admin, make_member):
    client, _ = admin
    make_member("aaa", name="Anton")
    response = client.get("/admin/members", query_string={"q": "x" * 100_000})
    assert response.status_code == 200
    assert "Anton" not in page(response)


# --- creating ---------------------------------------------------------------------------


def test_the_new_member_form_is_shown(admin):
    client, _ = admin
    response = client.get("/admin/members/new")
    assert response.status_code == 200
    html = page(response)
    for name in ("name", "email", "prefix", "kind", "admit", "city"):
        assert f'name="{name}"' in html


def test_an_admin_creates_a_member(admin, count_rows):
    client, _ = admin
    response = client.post("/admin/members/new", data=NEW_MEMBER)
    assert response.status_code == 302
    member = db.session.query(Member).filter_by(prefix="nor").one()
    assert response.headers["Location"].endswith(f"/admin/members/{member.id}")
    assert (member.number, member.kind, member.status) == ("M-00001", "legal", "active")
    assert (member.city, member.street) == ("Büsum", "Deich 1")
    login = db.session.query(User).filter_by(member_id=member.id).one()
    assert (login.email, login.role) == ("nord@example.org", "member")
    follow = client.get(response.headers["Location"])
    assert "M-00001" in page(follow)


def test_without_admit_the_new_member_is_an_applicant(admin):
    client, _ = admin
    data = {key: value for key, value in NEW_MEMBER.items() if key != "admit"}
    assert client.post("/admin/members/new", data=data).status_code == 302
    member = db.session.query(Member).filter_by(prefix="nor").one()
    assert (member.status, member.admitted_on) == ("applicant", None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "n" * 201}, "Field cannot be longer than 200 characters."),
        ({"name": "n" * 100_000}, "Field cannot be longer than 200 characters."),
        ({"email": ""}, "This field is required."),
        ({"email": "not-an-email"}, "Not a valid email address"),
        ({"email": "nord@@example.org"}, "Not a valid email address"),
        ({"prefix": "NOR"}, "Exactly three lowercase letters a-z."),
        ({"prefix": "nö1"}, "Exactly three lowercase letters a-z."),
        ({"prefix": "no"}, "Field must be exactly 3 characters long."),
        ({"prefix": "nord"}, "Field must be exactly 3 characters long."),
        ({"kind": "robot"}, "Not a valid choice"),
        ({"country": "Germany"}, "Field cannot be longer than 2 characters."),
        ({"country": "1X"}, "A two-letter country code such as DE."),
        ({"city": "Büsum\x00"}, "Control characters are not allowed."),
    ],
)
def test_bad_new_member_input_is_refused_with_a_field_message(admin, count_rows, changes, message):
    client, _ = admin
    response = client.post("/admin/members/new", data=NEW_MEMBER | changes)
    assert response.status_code == 422
    html = page(response)
    assert 'class="error"' in html
    assert message in html
    assert count_rows(Member) == 0
    assert count_rows(User, User.role == "member") == 0


def test_a_taken_prefix_is_refused_on_the_form(admin, make_member, count_rows):
    client, _ = admin
    make_member("nor")
    members = count_rows(Member)
    response = client.post("/admin/members/new", data=NEW_MEMBER)
    assert response.status_code == 409
    assert '<p class="error">This prefix is taken.</p>' in page(response)
    assert count_rows(Member) == members


def test_a_taken_email_is_refused_and_leaves_no_member(admin, make_member, count_rows):
    client, _ = admin
    make_member("abc", email="nord@example.org")
    members, users = count_rows(Member), count_rows(User)
    response = client.post("/admin/members/new", data=NEW_MEMBER)
    assert response.status_code == 409
    assert '<p class="error">This email address already has an account.</p>' in page(response)
    assert (count_rows(Member), count_rows(User)) == (members, users)


def test_csrf_protects_the_new_member_form(app, admin, count_rows):
    client, _ = admin
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/admin/members/new", data=NEW_MEMBER)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (400, 422)
    assert count_rows(Member) == 0


# --- one member -------------------------------------------------------------------------


def test_the_member_page_shows_record_logins_and_ledger(admin, make_member):
    client, _ = admin
    member = make_member("abc", name="Anna Acker", email="anna@example.org", on=DAY)
    record_share_transaction(member, "subscription", 3, DAY, "entry shares")
    response = client.get(f"/admin/members/{member.id}")
    assert response.status_code == 200
    html = page(response)
    for text in ("M-00001", "Anna Acker", "abc", "anna@example.org", "2024-03-01"):
        assert text in html
    assert "entry shares" in html
    assert "+3" in html
    assert "€192.00" in html


def test_an_unknown_member_is_404(admin):
    client, _ = admin
    assert client.get("/admin/members/999999").status_code == 404
    assert client.get(f"/admin/members/{10**40}").status_code == 404


def test_the_admin_edits_contact_data(admin, make_member, fresh):
    client, _ = admin
    member = make_member("abc", city="Berlin")
    data = {
        "name": "Anna Neu",
        "email": "anna.neu@example.org",
        "phone": "+49 40 1",
        "street": "Weg 2",
        "postal_code": "20095",
        "city": "Hamburg",
        "country": "de",
    }
    response = client.post(f"/admin/members/{member.id}/contact", data=data)
    assert response.status_code == 302
    member = fresh(member)
    assert (member.name, member.email, member.city, member.country) == (
        "Anna Neu",
        "anna.neu@example.org",
        "Hamburg",
        "DE",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "broken"}, "Not a valid email address"),
        ({"name": ""}, "This field is required."),
        ({"postal_code": "1" * 17}, "Field cannot be longer than 16 characters."),
    ],
)
def test_bad_contact_data_is_refused(admin, make_member, fresh, changes, message):
    client, _ = admin
    member = make_member("abc", city="Berlin")
    data = {"name": "Anna", "email": "anna@example.org", "city": "Hamburg", "country": "DE"}
    response = client.post(f"/admin/members/{member.id}/contact", data=data | changes)
    assert response.status_code == 422
    assert message in page(response)
    member = fresh(member)
    assert (member.name, member.email, member.city) == ("Member abc", "abc@example.org", "Berlin")


# --- status buttons ---------------------------------------------------------------------


def test_status_buttons_admit_cancel_end(admin, make_member, fresh):
    client, _ = admin
    member = make_member("abc", admit=False, on=DAY)
    html = page(client.get(f"/admin/members/{member.id}"))
    assert f"/admin/members/{member.id}/admit" in html
    assert f"/admin/members/{member.id}/cancel" not in html

    response = client.post(f"/admin/members/{member.id}/admit", data={"on": "2024-03-05"})
    assert response.status_code == 302
    member = fresh(member)
    assert (member.status, member.admitted_on) == ("active", date(2024, 3, 5))
    html = page(client.get(f"/admin/members/{member.id}"))
    assert f"/admin/members/{member.id}/cancel" in html
    assert f"/admin/members/{member.id}/admit" not in html

    assert client.post(f"/admin/members/{member.id}/cancel", data={"on": ""}).status_code == 302
    member = fresh(member)
    assert (member.status, member.cancelled_on) == ("cancelled", date.today())

    assert client.post(f"/admin/members/{member.id}/end", data={}).status_code == 302
    assert fresh(member).status == "ended"


def test_an_illegal_status_change_is_refused_with_a_message(admin, make_member, fresh):
    client, _ = admin
    member = make_member("abc")
    response = client.post(f"/admin/members/{member.id}/admit", data={})
    assert response.status_code == 409
    assert "Only an applicant can be admitted." in page(response)
    assert fresh(member).status == "active"


def test_ending_with_shares_is_refused(admin, make_member, fresh):
    client, _ = admin
    member = make_member("abc", on=DAY)
    record_share_transaction(member, "subscription", 1, DAY)
    client.post(f"/admin/members/{member.id}/cancel", data={"on": "2024-03-02"})
    response = client.post(f"/admin/members/{member.id}/end", data={"on": "2024-03-03"})
    assert response.status_code == 409
    assert "Shares must be cancelled" in page(response)
    assert fresh(member).status == "cancelled"


@pytest.mark.parametrize(
    ("on", "message"),
    [("31.12.2024", "Not a valid date value."), ("2024-02-01", "Must not be before 2024-03-01.")],
)
def test_a_bad_status_date_is_refused(admin, make_member, fresh, on, message):
    client, _ = admin
    member = make_member("abc", admit=False, on=DAY)
    response = client.post(f"/admin/members/{member.id}/admit", data={"on": on})
    assert response.status_code == 422
    assert message in page(response)
    assert fresh(member).status == "applicant"


def test_an_unknown_status_change_is_404(admin, make_member):
    client, _ = admin
    member = make_member("abc")
    assert client.post(f"/admin/members/{member.id}/delete").status_code in (404, 405)


# --- shares -----------------------------------------------------------------------------


def test_the_admin_books_shares(admin, make_member, fresh):
    client, _ = admin
    member = make_member("abc")
    data = {"kind": "subscription", "count": "5", "value_date": "2024-03-01", "note": "entry"}
    response = client.post(f"/admin/members/{member.id}/shares", data=data)
    assert response.status_code == 302
    assert fresh(member).share_count == 5
    data = {"kind": "cancellation", "count": "2", "value_date": "2024-06-30", "note": ""}
    assert client.post(f"/admin/members/{member.id}/shares", data=data).status_code == 302
    member = fresh(member)
    assert member.share_count == 3
    assert [(row.kind, row.count) for row in member.share_transactions] == [
        ("subscription", 5),
        ("cancellation", -2),
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"count": "0"}, "Number must be between 1 and 10000."),
        ({"count": "-3"}, "Number must be between 1 and 10000."),
        ({"count": "10001"}, "Number must be between 1 and 10000."),
        ({"count": "9" * 40}, "Number must be between 1 and 10000."),
        ({"count": "1.5"}, "Not a valid integer value."),
        ({"count": "three"}, "Not a valid integer value."),
        ({"count": ""}, "This field is required."),
        ({"kind": "reversal"}, "Not a valid choice"),
        ({"kind": "cancellation", "count": "3"}, "The member holds only 2 shares."),
        ({"value_date": "yesterday"}, "Not a valid date value."),
        ({"value_date": ""}, "This field is required."),
        ({"note": "n" * 501}, "Field cannot be longer than 500 characters."),
    ],
)
def test_bad_bookings_are_refused_with_a_field_message(
    admin, make_member, fresh, count_rows, changes, message
):
    client, _ = admin
    member = make_member("abc")
    record_share_transaction(member, "subscription", 2, DAY)
    rows = count_rows(ShareTransaction)
    data = {"kind": "subscription", "count": "1", "value_date": "2024-03-01", "note": ""}
    response = client.post(f"/admin/members/{member.id}/shares", data=data | changes)
    assert response.status_code == 422
    html = page(response)
    assert message in html
    assert 'class="error"' in html
    assert count_rows(ShareTransaction) == rows
    assert fresh(member).share_count == 2


def test_an_ended_membership_takes_no_booking(admin, make_member, fresh, count_rows):
    client, _ = admin
    member = make_member("abc", admit=False, on=DAY)
    client.post(f"/admin/members/{member.id}/end", data={"on": "2024-03-01"})
    data = {"kind": "subscription", "count": "1", "value_date": "2024-03-01"}
    response = client.post(f"/admin/members/{member.id}/shares", data=data)
    assert response.status_code == 409
    assert "This membership has ended." in page(response)
    assert count_rows(ShareTransaction) == 0
    assert fresh(member).share_count == 0


def test_shares_for_an_unknown_member_are_404(admin, count_rows):
    client, _ = admin
    data = {"kind": "subscription", "count": "1", "value_date": "2024-03-01"}
    assert client.post("/admin/members/424242/shares", data=data).status_code == 404
    assert count_rows(ShareTransaction) == 0


def test_the_reverse_button(admin, make_member, fresh, count_rows):
    client, _ = admin
    member = make_member("abc")
    booking = record_share_transaction(member, "subscription", 4, DAY)
    html = page(client.get(f"/admin/members/{member.id}"))
    assert f"/admin/shares/{booking.id}/reverse" in html

    response = client.post(f"/admin/shares/{booking.id}/reverse")
    assert response.status_code == 302
    assert fresh(member).share_count == 0
    reversal = db.session.query(ShareTransaction).filter_by(reverses_id=booking.id).one()
    assert (reversal.kind, reversal.count, reversal.value_date) == ("reversal", -4, date.today())
    html = page(client.get(f"/admin/members/{member.id}"))
    assert f"/admin/shares/{reversal.id}/reverse" not in html

    rows = count_rows(ShareTransaction)
    again = client.post(f"/admin/shares/{booking.id}/reverse")
    assert again.status_code == 409
    assert "This transaction is already reversed." in page(again)
    refused = client.post(f"/admin/shares/{reversal.id}/reverse")
    assert refused.status_code == 409
    assert "A reversal cannot be reversed" in page(refused)
    assert count_rows(ShareTransaction) == rows
    assert fresh(member).share_count == 0


def test_a_bad_reversal_date_is_refused(admin, make_member, fresh, count_rows):
    client, _ = admin
    member = make_member("abc")
    booking = record_share_transaction(member, "subscription", 4, DAY)
    response = client.post(f"/admin/shares/{booking.id}/reverse", data={"on": "someday"})
    assert response.status_code == 422
    assert "Not a valid date value." in page(response)
    assert count_rows(ShareTransaction) == 1
    assert fresh(member).share_count == 4


def test_reversing_an_unknown_booking_is_404(admin):
    client, _ = admin
    assert client.post("/admin/shares/424242/reverse").status_code == 404


# --- CSV --------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=members-")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def test_the_register_downloads_as_csv(admin, make_member):
    client, _ = admin
    first = make_member("abc", name="Änne Acker", on=DAY)
    record_share_transaction(first, "subscription", 3, DAY)
    make_member("xyz", name="Xaver", admit=False, on=DAY)
    response = client.get("/admin/members.csv")
    assert response.data.startswith("\ufeff".encode())  # spreadsheets then read UTF-8
    rows = read_csv(response)
    assert rows[0] == [*MEMBER_FIELDS, "share_capital_eur"]
    assert len(rows) == 3
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [row["number"] for row in records] == ["M-00001", "M-00002"]
    assert records[0]["name"] == "Änne Acker"
    assert records[0]["prefix"] == "abc"
    assert records[0]["status"] == "active"
    assert records[0]["applied_on"] == "2024-03-01"
    assert records[0]["share_count"] == "3"
    assert records[0]["share_capital_eur"] == "192,00"
    assert records[1]["status"] == "applicant"
    assert records[1]["admitted_on"] == ""
    assert records[1]["share_capital_eur"] == "0,00"


def test_the_csv_neutralises_formulas(admin, make_member):
    client, _ = admin
    make_member(
        "abc",
        name='=HYPERLINK("http://evil.example","click")',
        phone="+49 30 1234",
        street="-2+3",
        city="@SUM(A1)",
        postal_code="12345",
    )
    rows = read_csv(client.get("/admin/members.csv"))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert record["phone"] == "'+49 30 1234"
    assert record["street"] == "'-2+3"
    assert record["city"] == "'@SUM(A1)"
    assert record["postal_code"] == "12345"
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert not [cell for row in rows for cell in row if cell.startswith(dangerous)]


def test_the_csv_of_an_empty_register_has_the_header_only(admin):
    client, _ = admin
    rows = read_csv(client.get("/admin/members.csv"))
    assert rows == [[*MEMBER_FIELDS, "share_capital_eur"]]


def test_web_changes_are_audited_with_the_admin_as_actor(admin, make_member):
    client, user = admin
    member = make_member("abc", admit=False, on=DAY)
    client.post(f"/admin/members/{member.id}/admit", data={"on": "2024-03-02"})
    entry = db.session.query(AuditEntry).filter_by(action="member.admit").one()
    assert (entry.actor_id, entry.source, entry.member_id) == (user.id, "web", member.id)


def test_the_register_speaks_german(admin, make_member):
    client, _ = admin
    make_member("abc")
    make_member("xyz", admit=False)
    with client.session_transaction() as session:
        session["lang"] = "de"
    html = page(client.get("/admin/members"))
    assert 'class="state state-active">aktiv<' in html
    assert 'class="state state-applicant">beantragt<' in html
    assert "„Passwort vergessen?“" in page(client.get("/admin/members/new"))
