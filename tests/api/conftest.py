"""Fixtures of the API tests."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from panel.core.models import Base
from panel.extensions import db

# What the test transaction makes of the commits of the code under test.
SAVEPOINTS = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


@pytest.fixture
def table_counts():
    """A function giving the number of rows of every table: equal before and after a refused
    request shows that it wrote nothing (no row added, none removed, no audit entry)."""

    def counts() -> dict[str, int]:
        db.session.expire_all()
        return {
            name: db.session.scalar(select(func.count()).select_from(table))
            for name, table in Base.metadata.tables.items()
        }

    return counts


@pytest.fixture
def sql_statements():
    """A context manager giving the list of SQL statements sent to the database inside it, on
    one line each; the savepoints of the test transaction are left out."""

    @contextmanager
    def recording():
        statements: list[str] = []

        def seen(conn, cursor, statement, parameters, context, executemany):
            if not SAVEPOINTS.match(statement):
                statements.append(" ".join(statement.split()))

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)

    return recording
