"""The webspace pages: lists, the detail page with its forms, errors shown on the form."""

from sqlalchemy import func, select
from webspace_jobs import succeed

from panel.core.audit import acting
from panel.extensions import db
from panel.provisioning.models import Job
from panel.webspaces.models import Database, Domain, Webspace


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_member_creates_a_webspace_and_adds_a_domain(login_as, web_host):
    client, user = login_as("member")
    page = client.get("/webspaces")
    assert page.status_code == 200
    assert "No webspaces yet." in page.text
    response = client.post("/webspaces", data={"name": ""})
    assert response.status_code == 302
    webspace = db.session.scalar(select(Webspace))
    assert webspace.name == f"{user.member.prefix}00"
    with acting("worker"):
        succeed(webspace.last_job)
    detail = client.get(response.headers["Location"])
    assert webspace.name in detail.text and "web1" in detail.text

    added = client.post(
        f"/webspaces/{webspace.id}/domains", data={"name": "bücher.example", "tls": "y"}
    )
    assert added.status_code == 302
    detail = client.get(f"/webspaces/{webspace.id}").text
    assert "bücher.example" in detail
    assert "_panel-verification.xn--bcher-kva.example" in detail


def test_form_errors_are_shown_and_nothing_is_written(login_as, make_webspace):
    client, user = login_as("member")
    webspace = make_webspace(user.member)
    before = (count(Domain), count(Job))
    response = client.post(f"/webspaces/{webspace.id}/domains", data={"name": "bad_name.org"})
    assert response.status_code == 422
    assert "it holds the character “_”, which domain names may not have" in response.text
    assert (count(Domain), count(Job)) == before
    response = client.post("/webspaces", data={"name": "zzz99"})
    assert response.status_code == 422
    assert count(Webspace) == 1


def test_a_new_database_password_is_shown_once(login_as, make_webspace):
    client, user = login_as("member")
    webspace = make_webspace(user.member)
    response = client.post(
        f"/webspaces/{webspace.id}/databases", data={"engine": "postgresql", "name": "wiki"}
    )
    assert response.status_code == 200
    database = db.session.scalar(select(Database))
    assert database.password in response.text
    assert database.password not in client.get(f"/webspaces/{webspace.id}").text
    assert "session" not in response.headers.get("Set-Cookie", "") or (
        database.password not in response.headers.get("Set-Cookie", "")
    )


def test_admins_see_every_members_webspaces_and_suspend(login_as, make_member, make_webspace):
    first = make_webspace(make_member())
    second = make_webspace(make_member())
    client, _ = login_as("admin")
    page = client.get("/webspaces").text
    assert first.name in page and second.name in page
    assert first.member.number in page
    response = client.post(f"/webspaces/{first.id}/suspend")
    assert response.status_code == 302
    db.session.expire_all()
    assert first.desired == "suspended"


def test_members_do_not_see_others_webspaces(login_as, make_member, make_webspace):
    client, user = login_as("member")
    own = make_webspace(user.member)
    other = make_webspace(make_member())
    page = client.get("/webspaces").text
    assert own.name in page and other.name not in page
    assert client.get(f"/webspaces/{other.id}").status_code == 404
    assert client.post(f"/webspaces/{other.id}/delete").status_code == 404
    db.session.expire_all()
    assert other.desired == "active"


def test_the_page_speaks_german(login_as, make_webspace):
    client, user = login_as("member")
    user.locale = "de"
    db.session.commit()
    webspace = make_webspace(user.member)
    page = client.get(f"/webspaces/{webspace.id}").text
    assert "Datenbanken" in page and "Domain hinzufügen" in page
