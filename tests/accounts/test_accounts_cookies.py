"""Session and remember cookies: HttpOnly, SameSite=Lax, Secure whenever the site is HTTPS."""

import pytest
from flask import Flask

from panel.accounts.auth import init_login


def cookie(response, name: str) -> dict[str, str | bool]:
    """The attributes of the named cookie the response sets (keys lower-case)."""
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        if first.partition("=")[0] == name:
            parsed: dict[str, str | bool] = {}
            for attribute in attributes:
                key, has_value, value = attribute.partition("=")
                parsed[key.lower()] = value if has_value else True
            return parsed
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


def test_session_cookie_over_http_is_httponly_lax_and_not_secure(client, make_account, form_login):
    response = form_login(client, make_account().user.email)

    attributes = cookie(response, "session")
    assert attributes.get("httponly") is True
    assert attributes.get("samesite") == "Lax"
    assert "secure" not in attributes


def test_session_cookie_over_https_is_secure(client, make_account, form_login):
    response = form_login(client, make_account().user.email, base_url="https://panel.test")

    attributes = cookie(response, "session")
    assert attributes.get("secure") is True
    assert attributes.get("httponly") is True
    assert attributes.get("samesite") == "Lax"


def test_remember_cookie_is_httponly_and_lax(client, make_account):
    account = make_account()

    response = client.post(
        "/login",
        data={"email": account.user.email, "password": account.password, "remember": "y"},
    )

    attributes = cookie(response, "remember_token")
    assert attributes.get("httponly") is True
    assert attributes.get("samesite") == "Lax"


@pytest.mark.parametrize(
    ("base_url", "secure"), [("https://panel.example", True), ("http://localhost:5000", False)]
)
def test_remember_cookie_is_secure_when_the_site_is_https(base_url, secure):
    site = Flask(__name__)
    site.config["BASE_URL"] = base_url

    init_login(site)

    assert site.config["REMEMBER_COOKIE_SECURE"] is secure
