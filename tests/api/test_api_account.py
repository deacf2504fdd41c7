"""/api/v1/account: the caller's own account and tokens."""

from datetime import datetime, timedelta

import pytest

from panel.accounts.models import ApiToken
from panel.core.models import utcnow
from panel.extensions import db


def test_account_is_the_callers(api_as):
    api, user = api_as("member")

    body = api.get("/api/v1/account").json

    assert (body["id"], body["email"], body["role"]) == (user.id, user.email, "member")
    assert body["member_id"] == user.member_id
    assert "password_hash" not in body and "totp_secret" not in body


def test_patch_changes_name_and_language(api_as):
    api, user = api_as("member")

    response = api.patch("/api/v1/account", json={"display_name": "Erika", "locale": "de"})

    assert response.status_code == 200
    db.session.refresh(user)
    assert (user.display_name, user.locale) == ("Erika", "de")


@pytest.mark.parametrize(
    "change",
    [
        {"locale": "fr"},
        {"display_name": "x" * 121},
        {"display_name": 5},
        {"display_name": "tab\there"},
        {"role": "admin"},
        {"email": "other@example.org"},
        {"member_id": 1},
    ],
)
def test_patch_refuses_bad_or_foreign_fields(api_as, table_counts, change):
    api, user = api_as("member")
    state = (user.role, user.locale, user.display_name, user.email, user.member_id)
    before = table_counts()

    response = api.patch("/api/v1/account", json=change)

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == list(change)
    db.session.refresh(user)
    assert (user.role, user.locale, user.display_name, user.email, user.member_id) == state
    assert table_counts() == before


def test_token_lifecycle(app, api_as):
    api, user = api_as("member")

    created = api.post("/api/v1/account/tokens", json={"name": "backup script"})

    assert created.status_code == 201
    clear = created.json["token"]
    assert clear.startswith(created.json["prefix"])
    assert datetime.fromisoformat(created.json["created_at"]).utcoffset().total_seconds() == 0
    listed = api.get("/api/v1/account/tokens").json
    assert [token["name"] for token in listed] == ["test", "backup script"]
    assert all("token" not in token for token in listed)
    other = app.test_client()
    other.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {clear}"
    assert other.get("/api/v1/account").json["id"] == user.id

    revoked = api.delete(f"/api/v1/account/tokens/{created.json['id']}")
    again = api.delete(f"/api/v1/account/tokens/{created.json['id']}")

    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert again.status_code == 409
    assert other.get("/api/v1/account").status_code == 401


def test_nobody_revokes_anothers_token_not_even_an_admin(api_as):
    _, owner = api_as("member")
    admin_api, _ = api_as("admin")
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == owner.id))

    response = admin_api.delete(f"/api/v1/account/tokens/{token.id}")

    assert response.status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None


@pytest.mark.parametrize("name", ["", "   ", "n" * 81, None, 3, "a\x1bb"])
def test_token_name_is_checked(api_as, table_counts, name):
    api, _ = api_as("member")
    before = table_counts()

    response = api.post("/api/v1/account/tokens", json={"name": name})

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["name"]
    assert table_counts() == before


def test_token_with_expiry_and_read_only_scope(app, api_as):
    api, user = api_as("member")

    created = api.post(
        "/api/v1/account/tokens",
        json={"name": "dashboard", "expires_in_days": 90, "read_only": True},
    )

    assert created.status_code == 201
    body = created.json
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=90) - (expires - utcnow()) < timedelta(minutes=1)
    assert body["read_only"] is True
    listed = {token["name"]: token for token in api.get("/api/v1/account/tokens").json}
    assert listed["dashboard"]["read_only"] is True
    assert listed["dashboard"]["expires_at"] == body["expires_at"]
    assert (listed["test"]["read_only"], listed["test"]["expires_at"]) == (False, None)
    reader = app.test_client()
    reader.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {body['token']}"
    assert reader.get("/api/v1/account").json["id"] == user.id
    refused = reader.patch("/api/v1/account", json={"locale": "de"})
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "read_only_token")


@pytest.mark.parametrize(
    "fields",
    [
        {"expires_in_days": 0},
        {"expires_in_days": 731},
        {"expires_in_days": 10**40},
        {"expires_in_days": "30"},
        {"expires_in_days": 1.5},
        {"expires_in_days": True},
        {"read_only": "yes"},
        {"read_only": 1},
        {"read_only": None},
    ],
)
def test_token_expiry_and_scope_are_checked(api_as, table_counts, fields):
    api, _ = api_as("member")
    before = table_counts()

    response = api.post("/api/v1/account/tokens", json={"name": "x", **fields})

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == list(fields)
    assert response.json["error"]["fields"][next(iter(fields))] != ["Unknown field."]
    assert table_counts() == before


def test_an_expiring_token_makes_no_token_that_outlives_it(app, api_as, table_counts):
    api, _ = api_as("member")
    made = api.post("/api/v1/account/tokens", json={"name": "short", "expires_in_days": 7})
    short = app.test_client()
    short.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {made.json['token']}"
    before = table_counts()

    for fields in ({}, {"expires_in_days": None}, {"expires_in_days": 8}):
        refused = short.post("/api/v1/account/tokens", json={"name": "long", **fields})
        assert refused.status_code == 422
        assert list(refused.json["error"]["fields"]) == ["expires_in_days"]
        assert "must expire by" in refused.json["error"]["fields"]["expires_in_days"][0]
    assert table_counts() == before

    allowed = short.post("/api/v1/account/tokens", json={"name": "ok", "expires_in_days": 6})
    assert allowed.status_code == 201
