"""Fixtures of the API tests."""

import pytest
from sqlalchemy import func, select

from panel.core.models import Base
from panel.extensions import db


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
