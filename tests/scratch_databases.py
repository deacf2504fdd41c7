"""Fresh PostgreSQL databases for tests that need one of their own."""

import uuid
from collections.abc import Callable

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url


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
