"""Every change to databases: create (the password is shown once), delete (a dump is kept for
the grace period), restore, purge."""

import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.core.audit import record, snapshot
from panel.core.errors import Conflict
from panel.core.models import utcnow
from panel.core.validators import clean_choice
from panel.extensions import db
from panel.provisioning.models import Job
from panel.provisioning.operations import commit_and_dispatch
from panel.webspaces.changes import change, purge_due, queue_change
from panel.webspaces.guards import check_limit, ensure_usable
from panel.webspaces.models import Database, DatabaseEngine, Desired, State, Webspace
from panel.webspaces.names import clean_database_name

FIELDS = ("name", "engine", "webspace_id", "state", "desired")
ENGINES = tuple(engine.value for engine in DatabaseEngine)


def database_vars(database: Database, desired: Desired) -> dict[str, Any]:
    """The extra vars of playbooks/database.yml; the password goes as a secret var."""
    return {
        "webspace_name": database.webspace.name,
        "database_engine": database.engine,
        "database_name": database.name,
        "database_user": database.name,
        "database_state": desired.value,
    }


def queue_database(database: Database, desired: Desired) -> Job:
    """The database's job towards DESIRED, its password passed as a secret var."""
    if desired == Desired.ARCHIVED:
        days = current_app.config["WEBSPACE_ARCHIVE_DAYS"]
        database.purge_after = utcnow() + timedelta(days=days)
    elif desired in (Desired.RESTORED, Desired.PURGED):
        database.purge_after = None
    return queue_change(
        database,
        desired,
        database_vars(database, desired),
        secret_vars={"database_password": database.password},
    )


def create_database(webspace: Webspace, engine: Any, name: Any) -> tuple[Database, Job, str]:
    """A database and its user of the same name; returns the generated password, which is
    shown once and kept only encrypted."""
    engine = clean_choice("engine", engine, ENGINES)
    name = clean_database_name("name", name, webspace.name)
    ensure_usable(webspace)
    check_limit(webspace, "max_databases")
    taken = select(Database.id).where(Database.engine == engine, Database.name == name)
    if db.session.scalar(taken) is not None:
        raise Conflict(_l("This database name is taken."), {"name": [_l("Taken.")]})
    password = secrets.token_urlsafe(18)
    database = Database(
        webspace=webspace,
        member_id=webspace.member_id,
        engine=engine,
        name=name,
        password=password,
    )
    db.session.add(database)
    db.session.flush()
    job = queue_database(database, Desired.ACTIVE)
    record(
        "database.create", database, after=snapshot(database, FIELDS), member_id=database.member_id
    )
    commit_and_dispatch(job)
    return database, job, password


def delete_database(database: Database) -> tuple[Database, Job]:
    if database.desired in (Desired.ARCHIVED, Desired.PURGED):
        raise Conflict(_l("The database is already deleted."))
    allowed = (State.ACTIVE, State.FAILED, State.PENDING)
    return change(
        database, Desired.ARCHIVED, "database.delete", allowed, fields=FIELDS, queue=queue_database
    )


def restore_database(database: Database) -> tuple[Database, Job]:
    if database.desired != Desired.ARCHIVED:
        raise Conflict(_l("Only a deleted database can be restored, within its grace period."))
    ensure_usable(database.webspace)
    check_limit(database.webspace, "max_databases")
    allowed = (State.DELETED, State.FAILED)
    return change(
        database, Desired.RESTORED, "database.restore", allowed, fields=FIELDS, queue=queue_database
    )


def purge_database(database: Database) -> tuple[Database, Job]:
    if database.desired not in (Desired.ARCHIVED, Desired.PURGED):
        raise Conflict(_l("Only a deleted database can be purged."))
    allowed = (State.DELETED, State.FAILED)
    return change(
        database, Desired.PURGED, "database.purge", allowed, fields=FIELDS, queue=queue_database
    )


def purge_expired() -> list[Database]:
    """Deleted databases whose grace period is over are purged (periodic)."""
    return purge_due(Database, purge_database)
