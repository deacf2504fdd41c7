"""The migrations build exactly the schema the models describe, on both databases."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, create_engine, inspect, text

from panel import models  # noqa: F401  (fills the metadata)
from panel.core.migrate import alembic_config, heads, render_item, upgrade
from panel.core.models import Base
from panel.core.sqlite import enable_sqlite_pragmas


def _engine(url: str):
    engine = create_engine(url)
    enable_sqlite_pragmas(engine)
    return engine


def _differences(url: str) -> list:
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "target_metadata": Base.metadata,
                    "compare_type": True,
                    "render_as_batch": connection.dialect.name == "sqlite",
                    "render_item": render_item,
                },
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_models_and_migrations_agree(scratch_database_url):
    upgrade(scratch_database_url)
    assert _differences(scratch_database_url) == []


def test_check_constraints_match(scratch_database_url):
    """Autogenerate ignores CHECK constraints, so their names are compared here."""
    upgrade(scratch_database_url)
    engine = _engine(scratch_database_url)
    try:
        inspector = inspect(engine)
        for table in Base.metadata.sorted_tables:
            expected = {
                item.name for item in table.constraints if isinstance(item, CheckConstraint)
            }
            found = {item["name"] for item in inspector.get_check_constraints(table.name)}
            assert found == expected, table.name
    finally:
        engine.dispose()


def test_an_empty_database_differs_from_the_models(scratch_database_url):
    """The comparison itself sees missing tables (so an empty diff above means something)."""
    differences = _differences(scratch_database_url)
    added = {diff[1].name for diff in differences if diff[0] == "add_table"}
    assert added == set(Base.metadata.tables)


def test_one_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert heads() == script.get_heads()


def test_upgrade_downgrade_upgrade(scratch_database_url):
    config = alembic_config(scratch_database_url)
    command.upgrade(config, "head")
    assert _tables(scratch_database_url) == set(Base.metadata.tables)
    command.downgrade(config, "base")
    assert _tables(scratch_database_url) == set()
    command.upgrade(config, "head")
    assert _tables(scratch_database_url) == set(Base.metadata.tables)
    assert _differences(scratch_database_url) == []


def test_upgrade_keeps_older_recovery_codes_and_tokens(scratch_database_url):
    """Recovery codes stored before 0007 stay (still usable, see tests/accounts), and tokens made
    before it stay valid: no expiry, full scope."""
    config = alembic_config(scratch_database_url)
    command.upgrade(config, "0006")
    engine = _engine(scratch_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, email, display_name, role, is_enabled,"
                    " session_version, created_at) VALUES (1, 'old@example.org', '', 'admin',"
                    " true, 1, CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO recovery_codes (user_id, code_hash, created_at)"
                    " VALUES (1, :digest, CURRENT_TIMESTAMP)"
                ),
                {"digest": "ab" * 32},
            )
            connection.execute(
                text(
                    "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at)"
                    " VALUES (1, 'old', 'pnl_old', :digest, CURRENT_TIMESTAMP)"
                ),
                {"digest": "cd" * 32},
            )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            codes = connection.execute(text("SELECT selector, code_hash FROM recovery_codes"))
            tokens = connection.execute(text("SELECT expires_at, read_only FROM api_tokens"))
            assert codes.all() == [(None, "ab" * 32)]
            assert tokens.all() == [(None, False)]
    finally:
        engine.dispose()
