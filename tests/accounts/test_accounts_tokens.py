"""API tokens made on the account page (shown once, stored as a digest, revocable, with an
optional expiry and read-only scope), and the TOTP secret encrypted at rest."""

import hashlib
import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_time
from sqlalchemy import event, func, select, text

from panel.accounts.models import ApiToken
from panel.accounts.tokens import token_for_bearer
from panel.core.models import Base, utcnow
from panel.core.secrets import decrypt
from panel.extensions import db


@pytest.fixture
def table_counts():
    def counts() -> dict[str, int]:
        db.session.expire_all()
        return {
            name: db.session.scalar(select(func.count()).select_from(table))
            for name, table in Base.metadata.tables.items()
        }

    return counts


def create_token(client, name: str = "laptop", **fields) -> str:
    response = client.post("/account/tokens", data={"name": name, **fields})
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


def newest_token(user) -> ApiToken:
    return db.session.scalar(
        db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    )


def test_token_with_expiry_and_read_only_scope_from_the_account_page(
    app, make_account, login_as, audit_entries
):
    member_client, user = login_as(make_account().user)

    response = member_client.post(
        "/account/tokens", data={"name": "monitoring", "expires_in_days": "30", "read_only": "y"}
    )

    assert response.status_code == 200
    token = newest_token(user)
    assert token.read_only
    assert timedelta(days=30) - (token.expires_at - utcnow()) < timedelta(minutes=1)
    terms = response.get_data(as_text=True)
    assert "Read-only: it may only read, change nothing." in terms
    # In the page's locale and the panel's time zone (Europe/Berlin).
    moment = token.expires_at.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    day, clock = format_date(moment, "long", locale="en"), format_time(moment, "short", locale="en")
    shown = f"{day}, {clock}"
    assert f"It expires on {shown}." in terms
    row = re.search(
        rf'<tr id="token-{token.id}">(.*?)</tr>',
        member_client.get("/account").get_data(as_text=True),
        re.S,
    ).group(1)
    assert "read-only" in row and shown in row
    [entry] = audit_entries("api_token.create")
    assert (entry.after["read_only"], entry.after["expires_at"][:10]) == (
        True,
        f"{token.expires_at:%Y-%m-%d}",
    )


def test_token_without_expiry_or_scope_reads_and_writes_forever(make_account, login_as):
    member_client, user = login_as(make_account().user)

    response = member_client.post("/account/tokens", data={"name": "laptop"})

    token = newest_token(user)
    assert (token.read_only, token.expires_at) == (False, None)
    assert "It does not expire." in response.get_data(as_text=True)
    row = re.search(
        rf'<tr id="token-{token.id}">(.*?)</tr>',
        member_client.get("/account").get_data(as_text=True),
        re.S,
    ).group(1)
    assert "read and write" in row


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("0", "Must be at least 1."),
        ("731", "Must be at most 730."),
        ("-3", "Must be at least 1."),
        ("ten", "Not a valid integer value."),
        ("1" * 5000, "Not a valid integer value."),
    ],
)
def test_token_expiry_is_bounded(make_account, login_as, days, message):
    member_client, user = login_as(make_account().user)

    response = member_client.post("/account/tokens", data={"name": "x", "expires_in_days": days})

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert newest_token(user) is None


def test_read_only_token_may_only_read(app, make_account, login_as, table_counts):
    member_client, user = login_as(make_account().user)
    reader = bearer(app, create_token(member_client, "reader", read_only="y"))
    before = table_counts()

    assert reader.get("/api/v1/account").status_code == 200
    assert reader.head("/api/v1/account").status_code == 200
    assert reader.options("/api/v1/account").status_code == 200
    for refused in (
        reader.patch("/api/v1/account", json={"display_name": "Changed"}),
        reader.post("/api/v1/account/tokens", json={"name": "escalate"}),
        reader.delete(f"/api/v1/account/tokens/{newest_token(user).id}"),
    ):
        assert refused.status_code == 403
        assert refused.json["error"]["code"] == "read_only_token"
        assert "read-only" in refused.json["error"]["message"]
    assert table_counts() == before
    db.session.refresh(user)
    assert user.display_name != "Changed"


def test_expired_token_is_refused_like_an_unknown_one(app, make_account, login_as):
    member_client, user = login_as(make_account().user)
    clear = create_token(member_client)
    assert bearer(app, clear).get("/api/v1/account").status_code == 200
    db.session.execute(
        db.update(ApiToken)
        .where(ApiToken.user_id == user.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()

    expired = bearer(app, clear).get("/api/v1/account")
    unknown = bearer(app, clear + "x").get("/api/v1/account")

    assert expired.status_code == unknown.status_code == 401
    assert expired.json == unknown.json
    assert expired.json["error"]["code"] == "unauthorized"
    assert "expired" in member_client.get("/account").get_data(as_text=True)


def test_a_token_and_its_user_are_found_with_one_query(app, make_account, login_as):
    member_client, user = login_as(make_account().user)
    clear = create_token(member_client)
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    with app.app_context():
        db.session.expunge_all()
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            api_token = token_for_bearer(f"Bearer {clear}")
            assert (api_token.user.email, api_token.read_only) == (user.email, False)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)

    assert len(statements) == 1, statements
    assert "api_tokens" in statements[0] and "users" in statements[0]
