"""German in the German UI where the words come from libraries (idna, marshmallow, WTForms),
and the webspace page's sizes and times in the page's locale."""

from datetime import datetime

import pytest
from sqlalchemy import func, select

from panel.extensions import db
from panel.provisioning.models import Job
from panel.webspaces.models import Domain

GERMAN = {"Accept-Language": "de"}
ENGLISH = {"Accept-Language": "en"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def owner(make_member, make_webspace):
    member = make_member("loc")
    user = member.users[0]
    user.locale = None
    db.session.commit()
    return user, make_webspace(member)


@pytest.mark.parametrize(
    ("name", "german", "english"),
    [
        ("ab--cd.org", "Bindestriche an dritter und vierter Stelle", "two hyphens"),
        ("xn--zz.org", "kein gültiger Punycode", "not valid punycode"),
        ("a\u200db.org", "verbindendes Zeichen", "joining character"),
    ],
)
def test_idna_refusals_read_in_the_language_of_the_api_request(
    owner, api_as, name, german, english
):
    user, webspace = owner
    client, _ = api_as(user)
    before = (count(Domain), count(Job))
    url = f"/api/v1/webspaces/{webspace.id}/domains"
    answer = client.post(url, json={"name": name}, headers=GERMAN)
    assert answer.status_code == 422
    assert any(german in text for text in answer.json["error"]["fields"]["name"]), answer.json
    assert "Kein gültiger Domainname" in answer.json["error"]["fields"]["name"][0]
    answer = client.post(url, json={"name": name}, headers=ENGLISH)
    assert any(english in text for text in answer.json["error"]["fields"]["name"]), answer.json
    assert (count(Domain), count(Job)) == before


def test_idna_refusals_on_the_domain_form_are_german(owner, login_as):
    user, webspace = owner
    client, _ = login_as(user)
    answer = client.post(
        f"/webspaces/{webspace.id}/domains", data={"name": "ab--cd.org"}, headers=GERMAN
    )
    assert answer.status_code == 422
    assert "Bindestriche an dritter und vierter Stelle" in answer.text
    assert "disallowed hyphens" not in answer.text
    # WTForms' own messages come in German too (Flask-WTF's translations).
    empty = client.post(f"/webspaces/{webspace.id}/domains", data={"name": ""}, headers=GERMAN)
    assert empty.status_code == 422 and "Dieses Feld wird benötigt." in empty.text
    assert count(Domain) == 0


def test_marshmallows_messages_are_german_in_the_api(owner, api_as):
    user, webspace = owner
    client, _ = api_as(user)
    url = f"/api/v1/webspaces/{webspace.id}/domains"
    answer = client.post(url, json={"name": 5, "colour": "red"}, headers=GERMAN)
    assert answer.status_code == 422
    fields = answer.json["error"]["fields"]
    assert fields["name"] == ["Keine gültige Zeichenkette."], fields
    assert fields["colour"] == ["Unbekanntes Feld."], fields
    missing = client.post(url, json={}, headers=GERMAN).json["error"]["fields"]
    assert missing["name"] == ["Dieses Feld fehlt, es ist erforderlich."]
    english = client.post(url, json={}, headers=ENGLISH).json["error"]["fields"]
    assert english["name"] == ["Missing data for required field."]
    assert count(Domain) == 0


def test_the_webspace_page_shows_sizes_and_times_in_the_locale(owner, login_as):
    user, webspace = owner
    webspace.quota_mib = 10240
    webspace.purge_after = datetime(2026, 12, 5, 13, 3)
    db.session.commit()
    client, _ = login_as(user)
    german = client.get(f"/webspaces/{webspace.id}", headers=GERMAN).text
    english = client.get(f"/webspaces/{webspace.id}", headers=ENGLISH).text
    assert "10 GiB" in german and "10 GiB" in english
    assert "10240 MiB" not in english
    # Stored in UTC, shown in the panel's time zone (Europe/Berlin: UTC+1 in December).
    assert "5. Dezember 2026, 14:03" in german
    assert "December 5, 2026, 2:03\u202fPM" in english


def test_jobs_read_as_what_they_do_and_their_state_in_german(owner, login_as):
    user, _ = owner
    job = db.session.scalars(select(Job).where(Job.action == "webspace")).one()
    client, _ = login_as(user)
    german = client.get(f"/jobs/{job.id}", headers=GERMAN).text
    assert f"Job {job.id}: Webspace einrichten" in german
    assert "erfolgreich" in german
    english = client.get("/jobs", headers=ENGLISH).text
    assert ">Set up a webspace</td>" in english
