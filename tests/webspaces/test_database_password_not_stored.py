"""A new database's password, shown once on the page and in the API's answer, is kept by no
cache, the browser's included."""

from sqlalchemy import select

from panel.extensions import db
from panel.webspaces.models import Database


def not_stored(response) -> bool:
    return (
        response.headers.get("Cache-Control") == "no-store"
        and response.headers.get("Pragma") == "no-cache"
    )


def test_the_page_with_the_new_password(login_as, make_webspace):
    client, user = login_as("member")
    webspace = make_webspace(user.member)

    response = client.post(
        f"/webspaces/{webspace.id}/databases", data={"engine": "mariadb", "name": "shop"}
    )

    assert response.status_code == 200
    assert db.session.scalar(select(Database)).password in response.text
    assert not_stored(response)


def test_the_api_answer_with_the_new_password(api_as, make_webspace):
    client, user = api_as("member")
    webspace = make_webspace(user.member)

    response = client.post(
        f"/api/v1/webspaces/{webspace.id}/databases", json={"engine": "mariadb", "name": "shop"}
    )

    assert response.status_code == 202 and response.json["password"]
    assert not_stored(response)
