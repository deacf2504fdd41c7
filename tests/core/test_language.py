"""Language: from the browser, from the switch (which sticks), from the user's setting."""

import re

import pytest

from panel.extensions import db


def _lang(response) -> str:
    match = re.search(r'<html lang="([a-z]+)">', response.get_data(as_text=True))
    assert match, "no <html lang> on the page"
    return match.group(1)


def _current_button(response) -> str:
    """The language whose switch button is marked as the current one."""
    buttons = re.findall(
        r'<button[^>]*name="lang" value="([a-z]+)" class="([^"]*)"', response.get_data(as_text=True)
    )
    assert {code for code, _ in buttons} == {"de", "en"}
    current = [code for code, classes in buttons if "current" in classes.split()]
    assert len(current) == 1
    return current[0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("de", "de"), ("de-DE,de;q=0.9", "de"), ("en", "en"), ("en-US,en;q=0.8,de;q=0.5", "en")],
)
def test_browser_language(client, header, expected):
    response = client.get("/login", headers={"Accept-Language": header})
    assert response.status_code == 200
    assert _lang(response) == expected
    assert _current_button(response) == expected


def test_switch_sticks(client):
    response = client.post("/language", data={"lang": "de", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "en"})
    assert _lang(page) == "de"
    assert _current_button(page) == "de"

    client.post("/language", data={"lang": "en", "next": "/login"})
    page = client.get("/login", headers={"Accept-Language": "de"})
    assert _lang(page) == "en"
    assert _current_button(page) == "en"


def test_unknown_language_changes_nothing(client):
    client.post("/language", data={"lang": "de", "next": "/login"})
    response = client.post("/language", data={"lang": "xx", "next": "/login"})
    assert response.status_code == 302
    assert _lang(client.get("/login", headers={"Accept-Language": "en"})) == "de"


def test_user_setting_beats_browser(login_as):
    client, user = login_as("member")
    user.locale = "de"
    db.session.commit()
    response = client.get("/account", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert _lang(response) == "de"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_next_only_goes_to_local_paths(client, target):
    response = client.post("/language", data={"lang": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_keeps_local_path_and_query(client):
    response = client.post("/language", data={"lang": "en", "next": "/audit?action=x&page=2"})
    assert response.headers["Location"] == "/audit?action=x&page=2"


def test_switch_needs_csrf_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/language", data={"lang": "de", "next": "/login"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert _lang(client.get("/login", headers={"Accept-Language": "en"})) == "en"
