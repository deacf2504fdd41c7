"""Fresh PostgreSQL databases for tests that need one of their own."""

import os
import uuid
from collections.abc import Callable, Iterator

from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from panel import create_app
from panel.core.migrate import upgrade
from panel.extensions import db


def fresh_postgres(url: str, prefix: str = "panel_test") -> tuple[str, Callable[[], None]]:
    """A new, empty database next to the one the URL names, and how to drop it."""
    base = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


POSTGRES = os.environ.get(
    "PANEL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def app_on_own_postgres(folder, prefix: str, **config) -> Iterator[Flask]:
    """The app on a fresh, migrated PostgreSQL database of its own, for tests whose requests
    commit and race each other; the database is dropped afterwards."""
    url, drop = fresh_postgres(POSTGRES, prefix)
    upgrade(url)
    application = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": prefix, **config}
    )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()
