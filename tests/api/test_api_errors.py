"""Every error of the API answers in the contract's shape
{"error": {"code", "message", "fields"}}, with the right status, and changes nothing."""

import pytest

from panel.accounts import operations as account_operations
from panel.accounts.models import ApiToken
from panel.core.audit import acting
from panel.extensions import db


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer pnl_not-a-token",
        "Basic dXNlcjpwYXNz",
        "Token pnl_whatever",
    ],
)
def test_missing_or_bad_token_is_401(client, header):
    headers = {"Authorization": header} if header is not None else {}

    response = client.get("/api/v1/account", headers=headers)

    error = error_of(response, 401, "unauthorized")
    assert "bearer" in error["message"].lower()
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_revoked_token_is_401(api_as):
    api, user = api_as("member")
    assert api.get("/api/v1/account").status_code == 200
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id))
    with acting("cli"):
        account_operations.revoke_api_token(token)

    error_of(api.get("/api/v1/account"), 401, "unauthorized")


def test_token_of_a_disabled_user_is_401(api_as):
    api, user = api_as("member")
    with acting("cli"):
        account_operations.set_enabled(user, False)

    error_of(api.get("/api/v1/account"), 401, "unauthorized")


def test_401_comes_before_404_and_405(client):
    error_of(client.get("/api/v1/no-such-thing"), 401, "unauthorized")
    error_of(client.put("/api/v1/account"), 401, "unauthorized")


def test_session_cookie_does_not_authenticate_the_api(login_as, table_counts):
    browser, _ = login_as("admin")
    assert browser.get("/account").status_code == 200
    before = table_counts()

    error_of(browser.get("/api/v1/account"), 401, "unauthorized")
    error_of(browser.post("/api/v1/account/tokens", json={"name": "sneaky"}), 401, "unauthorized")
    error_of(
        browser.post(
            "/api/v1/members", json={"name": "X", "email": "x@example.org", "prefix": "xxx"}
        ),
        401,
        "unauthorized",
    )
    assert table_counts() == before


def test_bearer_wins_over_a_session_cookie_of_someone_else(login_as, make_user):
    member = make_user("member")
    with acting("cli"):
        _, clear = account_operations.create_api_token(member, "script")
    browser, _ = login_as("admin")
    browser.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {clear}"

    response = browser.get("/api/v1/account")

    assert response.status_code == 200
    assert response.json["id"] == member.id
    create = browser.post(
        "/api/v1/members", json={"name": "X", "email": "x@example.org", "prefix": "xxx"}
    )
    error_of(create, 403, "forbidden")


def test_api_needs_no_csrf_token(app, api_as):
    api, _ = api_as("member")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = api.post("/api/v1/account/tokens", json={"name": "ci"})
        web = api.post("/account/tokens", data={"name": "web"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert response.status_code == 201
    # The web form next to it still wants its CSRF token.
    assert web.status_code == 400


def test_403_for_a_role_forbidden_action(api_as, table_counts):
    api, _ = api_as("member")
    before = table_counts()

    response = api.post(
        "/api/v1/members", json={"name": "X", "email": "x@example.org", "prefix": "xxx"}
    )

    error_of(response, 403, "forbidden")
    assert table_counts() == before


def test_403_whatever_a_forbidden_role_sends(api_as):
    api, _ = api_as("customer", reseller=api_as("reseller")[1])

    assert api.post("/api/v1/members", json={"bogus": 1}).status_code == 403
    assert api.post("/api/v1/members", data="x", content_type="text/plain").status_code == 403
    assert api.post("/api/v1/members?unknown=1").status_code == 403


def test_404_for_an_unknown_url_and_an_unknown_id(api_as):
    api, _ = api_as("admin")

    error_of(api.get("/api/v1/no-such-thing"), 404, "not_found")
    error_of(api.get("/api/v1/members/999999"), 404, "not_found")


@pytest.mark.parametrize("member_id", [2**31, 2**63, 2**64, int("9" * 400)])
def test_ids_beyond_the_database_range_are_404_not_500(api_as, member_id):
    api, _ = api_as("admin")

    error_of(api.get(f"/api/v1/members/{member_id}"), 404, "not_found")
    error_of(api.patch(f"/api/v1/members/{member_id}", json={}), 404, "not_found")
    error_of(api.post(f"/api/v1/members/{member_id}/admit"), 404, "not_found")


def test_405_names_the_allowed_methods(api_as):
    api, _ = api_as("admin")

    response = api.put("/api/v1/account", json={})

    error_of(response, 405, "method_not_allowed")
    assert {"GET", "PATCH"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_409_on_a_duplicate_prefix(api_as, make_member, table_counts):
    api, _ = api_as("admin")
    taken = make_member()
    before = table_counts()

    response = api.post(
        "/api/v1/members", json={"name": "Y", "email": "y@example.org", "prefix": taken.prefix}
    )

    error = error_of(response, 409, "conflict")
    assert "prefix" in error["fields"]
    assert table_counts() == before


def test_422_names_the_unknown_field(api_as, table_counts):
    api, _ = api_as("admin")
    before = table_counts()

    response = api.post(
        "/api/v1/members",
        json={"name": "Y", "email": "y@example.org", "prefix": "yyy", "is_admin": True},
    )

    error = error_of(response, 422, "validation_failed")
    assert error["fields"] == {"is_admin": ["Unknown field."]}
    assert table_counts() == before


def test_422_names_an_unknown_query_parameter(api_as):
    api, _ = api_as("admin")

    error = error_of(api.get("/api/v1/members?stauts=active"), 422, "validation_failed")

    assert error["fields"] == {"stauts": ["Unknown field."]}
    assert "stauts" in error["message"]


def test_400_for_malformed_json(api_as, table_counts):
    api, _ = api_as("admin")
    before = table_counts()

    for body in ('{"name": ', b"\xff\xfe\x00", "{'name': 'x'}"):
        response = api.post("/api/v1/members", data=body, content_type="application/json")
        assert error_of(response, 400, "bad_request")["message"] == "Invalid JSON body."
    assert table_counts() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_415_for_a_body_that_is_not_json(api_as, table_counts, content_type):
    api, user = api_as("admin")
    before = table_counts()

    response = api.patch("/api/v1/account", data="locale=de", content_type=content_type)

    assert "JSON" in error_of(response, 415, "unsupported_media_type")["message"]
    db.session.refresh(user)
    assert user.locale is None
    assert table_counts() == before


def test_413_for_a_huge_body(api_as, table_counts):
    api, _ = api_as("admin")
    before = table_counts()

    response = api.post("/api/v1/account/tokens", json={"name": "x" * 100_000})

    error_of(response, 413, "payload_too_large")
    assert table_counts() == before


@pytest.mark.parametrize(
    "body",
    [None, "", "[]", "[1, 2]", '"text"', "42", "null"],
)
def test_422_when_the_body_is_missing_or_not_an_object(api_as, table_counts, body):
    api, _ = api_as("admin")
    before = table_counts()

    response = api.post("/api/v1/account/tokens", data=body, content_type="application/json")

    error_of(response, 422, "validation_failed")
    assert table_counts() == before
