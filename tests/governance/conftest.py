"""Fixtures of the resolution tests: members on the register at the cutoff, row counts."""

from datetime import date

import pytest
from resolutions_support import CUTOFF
from sqlalchemy import func, select

from panel.extensions import db


@pytest.fixture
def voter(make_member):
    """voter(on=CUTOFF): a member admitted on that day, so on the register at the cutoff."""

    def make(on: date = CUTOFF, **fields):
        return make_member(on=on, **fields)

    return make


@pytest.fixture
def count_rows():
    """count_rows(Model, *conditions): rows in the database as the test's session sees them."""

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return count
