"""/healthz answers 200 while the database answers, 503 without a stack trace when it does not."""

import socket

import pytest

from panel.core.migrate import upgrade


def _closed_port() -> int:
    """A loopback port nobody listens on (bound once by us, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthy_on_its_own_database(make_app, scratch_database_url):
    upgrade(scratch_database_url)
    response = make_app(scratch_database_url).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


@pytest.mark.parametrize(
    "unreachable_url",
    [
        pytest.param("sqlite:////nonexistent-panel-dir/sub/panel.db", id="sqlite-missing-dir"),
        pytest.param(
            f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/panel?connect_timeout=5",
            id="postgresql-closed-port",
        ),
    ],
)
def test_unreachable_database(make_app, unreachable_url):
    response = make_app(unreachable_url).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.is_json
    assert response.json["status"] == "error"
    body = response.get_data(as_text=True)
    for leak in ("Traceback", "Error", "sqlite", "psycopg", "127.0.0.1", "nonexistent"):
        assert leak not in body
