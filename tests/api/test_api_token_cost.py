"""What the token check costs an API call: one query for the token and its user, a write of
its last use only every LAST_USE_WRITE_SECONDS, one pool connection at a time."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from panel.accounts.models import ApiToken
from panel.accounts.operations import create_api_token, create_user
from panel.config import settings_from_env
from panel.core.audit import acting
from panel.core.migrate import upgrade
from panel.core.models import utcnow
from panel.extensions import db

TOKEN_TABLES = re.compile(r"\b(api_tokens|users)\b")


def token_statements(statements: list[str]) -> list[str]:
    return [statement for statement in statements if TOKEN_TABLES.search(statement)]


def writes_to_tokens(statements: list[str]) -> list[str]:
    return [statement for statement in statements if statement.startswith("UPDATE api_tokens")]


def token_of(user) -> ApiToken:
    return db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))


@pytest.mark.parametrize("path", ["/api/v1/account", "/api/v1/webspaces/{webspace_id}"])
def test_the_token_check_costs_one_query_and_a_write_now_and_then(
    api_as, make_webspace, sql_statements, path
):
    client, user = api_as("member")
    url = path.format(webspace_id=make_webspace(user.member).id)

    with sql_statements() as first:
        assert client.get(url).status_code == 200
    with sql_statements() as second:
        assert client.get(url).status_code == 200

    assert len(token_statements(first)) <= 3, first
    assert len(writes_to_tokens(first)) == 1, first
    assert len(token_statements(second)) == 1, second
    assert writes_to_tokens(second) == [], second
    # The handler's own work is the same both times: only the token check differs.
    assert len(first) - len(token_statements(first)) == len(second) - 1


def test_the_last_use_is_written_again_once_it_is_older_than_the_touch_time(
    app, api_as, sql_statements
):
    client, user = api_as("member")
    client.get("/api/v1/account")
    token = token_of(user)
    recorded = token.last_used_at

    client.get("/api/v1/account")
    db.session.refresh(token)
    assert token.last_used_at == recorded

    token.last_used_at = utcnow() - timedelta(seconds=app.config["LAST_USE_WRITE_SECONDS"] + 1)
    db.session.commit()
    with sql_statements() as statements:
        client.get("/api/v1/account")
    db.session.refresh(token)
    assert len(writes_to_tokens(statements)) == 1
    assert token.last_used_at > recorded


def test_the_touch_time_comes_from_the_environment():
    assert settings_from_env({})["LAST_USE_WRITE_SECONDS"] == 300
    assert settings_from_env({"PANEL_LAST_USE_WRITE_SECONDS": "60"})["LAST_USE_WRITE_SECONDS"] == 60


def test_a_call_holds_one_pool_connection(scratch_database_url, make_app):
    upgrade(scratch_database_url)
    app = make_app(scratch_database_url, SERVER_NAME="panel.test")
    with app.app_context(), acting("cli"):
        admin = create_user("pool@example.org", "admin")
        _, clear = create_api_token(admin, "pool")
        engine = db.engine
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {clear}"
    held, most, checkouts = [0], [0], [0]

    def checkout(*_):
        held[0] += 1
        checkouts[0] += 1
        most[0] = max(most[0], held[0])

    def checkin(*_):
        held[0] -= 1

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        assert client.get("/api/v1/webspaces").status_code == 200
        first = checkouts[0]
        assert client.get("/api/v1/webspaces").status_code == 200
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)

    assert most[0] == 1
    # The call that records the token's use commits it before the handler's work.
    assert first <= 2
    assert checkouts[0] - first == 1
