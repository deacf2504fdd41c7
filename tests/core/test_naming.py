"""Every constraint and index carries the name the naming convention gives it, so that later
migrations can address them by name on SQLite and PostgreSQL alike."""

import re

import pytest
from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    UniqueConstraint,
)

from panel import models  # noqa: F401  (fills the metadata)
from panel.core.models import NAMING_CONVENTION, Base

KEYS = {
    PrimaryKeyConstraint: "pk",
    ForeignKeyConstraint: "fk",
    UniqueConstraint: "uq",
    CheckConstraint: "ck",
    Index: "ix",
}


def _pattern(item, table) -> re.Pattern:
    """The convention's template for this item with its tokens filled in (a check constraint's
    own part may be any lowercase name)."""
    columns = [column.name for column in item.columns]
    tokens = {
        "table_name": re.escape(table.name),
        "constraint_name": "[a-z0-9_]+",
        "column_0_name": re.escape(columns[0]) if columns else "",
        "column_0_label": re.escape(f"{table.name}_{columns[0]}") if columns else "",
        "column_0_N_name": re.escape("_".join(columns)),
    }
    if isinstance(item, ForeignKeyConstraint):
        tokens["referred_table_name"] = re.escape(item.referred_table.name)
    name = NAMING_CONVENTION[KEYS[type(item)]] % tokens
    # A trigram index (panel.core.models.trigram_index) beside the column's own index.
    if isinstance(item, Index) and item.dialect_options["postgresql"]["using"] == "gin":
        name += "_trgm"
    return re.compile(name)


def _named_items():
    for table in Base.metadata.sorted_tables:
        for item in [*table.constraints, *table.indexes]:
            yield pytest.param(item, table, id=f"{table.name}:{type(item).__name__}:{item.name}")


@pytest.mark.parametrize(("item", "table"), list(_named_items()))
def test_name_follows_convention(item, table):
    assert isinstance(item.name, str), f"unnamed {type(item).__name__} on {table.name}"
    assert _pattern(item, table).fullmatch(item.name), item.name


def test_every_kind_is_covered():
    """The metadata uses each kind of constraint, so the parametrised test checks them all."""
    kinds = {
        type(item)
        for table in Base.metadata.tables.values()
        for item in [*table.constraints, *table.indexes]
    }
    assert kinds == set(KEYS)
