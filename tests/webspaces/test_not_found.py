"""Another member's webspace, its parts and its jobs are missing alike on both faces: the page
and the API answer 404 with the same message, in the language the browser or client asks for
(panel/*/loaders.py)."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from panel.core.audit import acting
from panel.webspaces import databases, domains, sftp_users

# kind: (page method, page URL, API URL, English message, German message)
FACES = {
    "webspace": (
        "GET",
        "/webspaces/{webspace}",
        "/api/v1/webspaces/{webspace}",
        "No such webspace.",
        "Diesen Webspace gibt es nicht.",
    ),
    "usage": (
        "GET",
        "/webspaces/{webspace}/usage",
        "/api/v1/usage?webspace={webspace}",
        "No such webspace.",
        "Diesen Webspace gibt es nicht.",
    ),
    "domain": (
        "POST",
        "/domains/{domain}/verify",
        "/api/v1/domains/{domain}",
        "No such domain.",
        "Diese Domain gibt es nicht.",
    ),
    "database": (
        "POST",
        "/databases/{database}/delete",
        "/api/v1/databases/{database}",
        "No such database.",
        "Diese Datenbank gibt es nicht.",
    ),
    "sftp user": (
        "POST",
        "/sftp-users/{sftp_user}/delete",
        "/api/v1/sftp-users/{sftp_user}",
        "No such SFTP user.",
        "Diesen SFTP/SSH-Benutzer gibt es nicht.",
    ),
    "job": (
        "GET",
        "/jobs/{job}",
        "/api/v1/jobs/{job}",
        "No such job.",
        "Diesen Job gibt es nicht.",
    ),
}


@pytest.fixture
def others(make_member, make_webspace):
    """The ids of another member's webspace, its parts and its set-up job."""
    webspace = make_webspace(make_member("oth"))
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    line = key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    with acting("cli"):
        domain, _ = domains.add_domain(webspace, "other.example.org")
        database, _, _ = databases.create_database(webspace, "mariadb", "shop")
        user, _ = sftp_users.create_sftp_user(webspace, "anna", [line])
    return {
        "webspace": webspace.id,
        "domain": domain.id,
        "database": database.id,
        "sftp_user": user.id,
        "job": webspace.last_job_id,
    }


@pytest.fixture
def faces(login_as, api_as, make_user):
    """A member's browser and its API client."""
    user = make_user("member")
    browser, _ = login_as(user)
    client, _ = api_as(user)
    return browser, client


@pytest.mark.parametrize("kind", FACES)
@pytest.mark.parametrize("language", ["en", "de"])
def test_another_members_object_is_missing_alike_on_both_faces(faces, others, kind, language):
    browser, client = faces
    method, page_url, api_url, english, german = FACES[kind]
    message = german if language == "de" else english
    headers = {"Accept-Language": language}

    page = browser.open(page_url.format(**others), method=method, headers=headers)
    answer = client.get(api_url.format(**others), headers=headers)

    assert page.status_code == answer.status_code == 404
    assert message in page.get_data(as_text=True)
    assert answer.json["error"] == {"code": "not_found", "message": message, "fields": {}}


@pytest.mark.parametrize("kind", FACES)
def test_a_missing_object_gets_the_same_answer_as_another_members(faces, others, kind):
    """What does not exist and what is not the caller's cannot be told apart."""
    browser, client = faces
    method, page_url, api_url, english, _ = FACES[kind]
    missing = dict.fromkeys(others, 2**31 - 1)

    page = browser.open(page_url.format(**missing), method=method)
    answer = client.get(api_url.format(**missing))

    assert page.status_code == answer.status_code == 404
    assert english in page.get_data(as_text=True)
    assert answer.json["error"]["message"] == english
