"""Fixtures of the cooperative office tests."""

import pytest
from sqlalchemy import func, select

from panel.extensions import db


@pytest.fixture
def count_rows():
    """count_rows(Model, *conditions): rows in the database as the test's session sees them."""

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return count


@pytest.fixture
def fresh():
    """fresh(obj): the object reloaded from the database, after a request changed it."""

    def reload(obj):
        db.session.expire_all()
        return db.session.get(type(obj), obj.id)

    return reload


@pytest.fixture
def set_share_value(app):
    """set_share_value(v) sets app.config["SHARE_VALUE"] for one test; the original comes back."""
    original = app.config["SHARE_VALUE"]

    def set_value(value) -> None:
        app.config["SHARE_VALUE"] = value

    yield set_value
    app.config["SHARE_VALUE"] = original


@pytest.fixture
def admin(login_as):
    """A logged-in admin: (client, user)."""
    return login_as("admin")
