from alembic import context
from sqlalchemy import create_engine, pool

from panel import models  # noqa: F401  (fills the metadata)
from panel.core.migrate import include_for, render_item
from panel.core.models import Base
from panel.core.sqlite import enable_sqlite_pragmas

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    enable_sqlite_pragmas(engine)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    if connection.dialect.name != "sqlite":
        _migrate(connection)
        return
    # A batch migration on SQLite copies a table, drops the old one and renames the copy: with
    # foreign keys on, dropping a table other rows refer to fails (or sets their references to
    # NULL). SQLite ignores this switch inside a transaction, so it is flipped on the driver's
    # connection, outside the migrations' transaction; the check afterwards finds any
    # reference the migrations broke.
    driver = connection.connection.dbapi_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        _migrate(connection)
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration broke foreign keys: {broken[:10]}")
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_object=include_for(connection.dialect.name, target_metadata),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
