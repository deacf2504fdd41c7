"""Messages raised by operations reach the user in the user's language."""

from sqlalchemy import func, select

from panel.coop.models import Member
from panel.extensions import db


def test_form_field_errors_follow_the_browser_language(login_as):
    client, _ = login_as("admin")
    # An uppercase prefix passes the form's own length check and is refused by the operation.
    bad = {"name": "Anna", "email": "x@example.org", "prefix": "ABC", "kind": "natural"}
    german = client.post("/admin/members/new", data=bad, headers={"Accept-Language": "de"})
    english = client.post("/admin/members/new", data=bad, headers={"Accept-Language": "en"})
    assert german.status_code == english.status_code == 422
    assert "Genau drei Kleinbuchstaben a-z." in german.get_data(as_text=True)
    assert "Exactly three lowercase letters a-z." in english.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0


def test_operation_errors_in_the_api_follow_accept_language(api_as, make_member):
    make_member(prefix="abc")
    client, _ = api_as("admin")
    payload = {"name": "Zweite", "email": "zweite@example.org", "prefix": "abc"}
    german = client.post("/api/v1/members", json=payload, headers={"Accept-Language": "de"})
    english = client.post("/api/v1/members", json=payload, headers={"Accept-Language": "en"})
    assert german.status_code == english.status_code == 409
    assert english.json["error"]["message"] == "This prefix is taken."
    assert german.json["error"]["message"] == "Dieses Kürzel ist schon vergeben."


def test_share_booking_error_in_german(login_as, make_member):
    client, _ = login_as("admin")
    member = make_member(prefix="abd")
    response = client.post(
        f"/admin/members/{member.id}/shares",
        data={"kind": "cancellation", "count": "5", "value_date": "2026-01-01", "note": ""},
        headers={"Accept-Language": "de"},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Das Mitglied hält nur 0 Geschäftsanteile." in text


def test_an_unknown_address_is_explained_in_the_persons_language(client, api_as, make_member):
    page = client.get("/no-such-page", headers={"Accept-Language": "de"})
    assert page.status_code == 404
    assert "Unter dieser Adresse gibt es keine Seite." in page.text
    assert "requested URL" not in page.text
    api, _ = api_as(make_member("nfx").users[0])
    answer = api.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"})
    assert answer.status_code == 404
    assert answer.json["error"]["message"].startswith("There is no page at this address.")
    wrong = client.delete("/healthz", headers={"Accept-Language": "de"})
    assert wrong.status_code == 405
    assert "Diese Adresse nimmt solche Anfragen nicht an." in wrong.text
