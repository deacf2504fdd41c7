"""Alembic migrations, run from code: upgrade, the current heads, the config."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import Column, MetaData
from sqlalchemy.types import TypeDecorator

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", (url or current_app.config["SQLALCHEMY_DATABASE_URI"]).replace("%", "%%")
    )
    return config


def upgrade(url: str | None = None) -> None:
    command.upgrade(alembic_config(url), "head")


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def render_item(kind: str, obj, autogen_context):
    """Render our column types (UTCDateTime, EncryptedText) as the plain SQLAlchemy types they
    store, so that migration scripts never import panel code that may later change."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        autogen_context.imports.add("import sqlalchemy as sa")
        return f"sa.{obj.impl!r}"
    return False


def include_for(dialect: str, metadata: MetaData):
    """Autogenerate's include_object on DIALECT: what only another database gets (ddl_if, as
    PostgreSQL's trigram indexes) is no difference on this one. SQLite reflects an index with
    a sort order (an expression) as its plain columns, which autogenerate cannot compare with
    the expression: such an index of METADATA is compared on PostgreSQL only."""
    uncomparable = _expression_indexes(metadata) if dialect == "sqlite" else set()

    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "index" and name in uncomparable:
            return False
        condition = getattr(obj, "_ddl_if", None)
        if condition is None or condition.dialect is None:
            return True
        wanted = condition.dialect
        return dialect == wanted if isinstance(wanted, str) else dialect in wanted

    return include


def _expression_indexes(metadata: MetaData) -> set[str]:
    return {
        index.name
        for table in metadata.tables.values()
        for index in table.indexes
        if not all(isinstance(part, Column) for part in index.expressions)
    }
