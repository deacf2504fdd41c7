"""API tokens made on the account page (shown once, stored as a digest, revocable), and the TOTP
secret encrypted at rest."""

import hashlib
import re

from sqlalchemy import text

from panel.accounts.models import ApiToken
from panel.core.secrets import decrypt
from panel.extensions import db


def create_token(client, name: str = "laptop") -> str:
    response = client.post("/account/tokens", data={"name": name})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return re.search(r'id="new-token">([^<]+)<', response.get_data(as_text=True)).group(1)


def bearer(app, token: str):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_token_is_shown_once_and_stored_as_digest_only(app, make_account, login_as, audit_entries):
    member_client, user = login_as(make_account().user)

    clear = create_token(member_client)

    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id))
    row = db.session.execute(
        text("SELECT * FROM api_tokens WHERE id = :id"), {"id": token.id}
    ).one()
    assert not any(clear in str(value) for value in row)
    assert token.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    assert clear.startswith(token.prefix)
    assert clear not in member_client.get("/account").get_data(as_text=True)
    [entry] = audit_entries("api_token.create")
    assert (entry.source, entry.actor_id, entry.after["name"]) == ("web", user.id, "laptop")


def test_token_authenticates_the_api_and_records_its_use(app, make_account, login_as):
    member_client, user = login_as(make_account().user)
    clear = create_token(member_client)
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.last_used_at is None

    response = bearer(app, clear).get("/api/v1/account")

    assert response.status_code == 200
    assert response.json["email"] == user.email
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_revoked_token_is_refused(app, make_account, login_as, audit_entries):
    member_client, user = login_as(make_account().user)
    clear = create_token(member_client)
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id))

    response = member_client.post(f"/account/tokens/{token.id}/revoke")

    assert response.status_code == 302
    answer = bearer(app, clear).get("/api/v1/account")
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "unauthorized"
    [entry] = audit_entries("api_token.revoke")
    assert (entry.source, entry.actor_id) == ("web", user.id)


def test_nobody_else_can_revoke_a_token(app, make_account, login_as):
    owner_client, owner = login_as(make_account().user)
    clear = create_token(owner_client)
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == owner.id))
    stranger_client, _ = login_as(make_account().user)

    response = stranger_client.post(f"/account/tokens/{token.id}/revoke")

    assert response.status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None
    assert bearer(app, clear).get("/api/v1/account").status_code == 200


def test_token_needs_a_name(make_account, login_as):
    member_client, user = login_as(make_account().user)

    response = member_client.post("/account/tokens", data={"name": "  "})

    assert response.status_code == 422
    assert db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id)) is None


def test_totp_secret_is_encrypted_at_rest(make_account):
    account = make_account(totp=True)

    raw = db.session.execute(
        text("SELECT totp_secret FROM users WHERE id = :id"), {"id": account.user.id}
    ).scalar_one()

    assert account.secret not in raw
    assert decrypt(raw) == account.secret
    assert account.user.totp_secret == account.secret
