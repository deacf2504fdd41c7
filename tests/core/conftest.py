"""Fixtures of the core tests: scratch databases apart from the suite's shared one."""

import os

import pytest
from scratch_databases import fresh_postgres


@pytest.fixture
def scratch_database_url(tmp_path):
    """A fresh, empty database of the suite's kind (SQLite file or PostgreSQL database)."""
    wanted = os.environ.get("PANEL_TEST_DATABASE_URL", "")
    if not wanted.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url, drop = fresh_postgres(wanted)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """Another app on a database of its own; while it runs, db.session is flask-sqlalchemy's
    own again (the suite's session is bound to the test transaction of the shared database)."""
    from panel import create_app
    from panel.extensions import db

    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    made = []

    def make(database_url: str, **config):
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "INSTANCE_PATH": str(tmp_path / f"instance{len(made)}"),
                "SECRET_KEY": "scratch-secret",
                **config,
            }
        )
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()
