"""SQLite needs two switches to behave like the production database: foreign keys and real
transactions (pysqlite's own BEGIN handling breaks SAVEPOINT, which tests and nested
operations rely on). Every transaction takes the write lock at its start (BEGIN IMMEDIATE), so a
request waits for a worker writing its job's events: up to 30 s, enough on a busy two-core
machine, where 10 s gave reading requests a 500 ("database is locked")."""

from sqlalchemy import Engine, event


def enable_sqlite_pragmas(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
