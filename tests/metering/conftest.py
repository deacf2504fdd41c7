from datetime import timedelta

import pytest

from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db
from panel.provisioning.models import JobStatus
from panel.provisioning.operations import finish_job
from panel.webspaces import databases, operations


@pytest.fixture
def make_webspace(make_host):
    """An active webspace of the member, made long enough ago to be expected in every period."""
    host = make_host("meter1")

    def make(member, age=timedelta(days=2)):
        with acting("cli"):
            webspace, job = operations.create_webspace(member, host=host.name)
            finish_job(job, JobStatus.SUCCESSFUL, stats={"data": {"webspace": {"uid": 2000}}})
        webspace.created_at = utcnow() - age
        db.session.commit()
        return webspace

    return make


@pytest.fixture
def make_database():
    def make(webspace, suffix="shop", engine="mariadb"):
        with acting("cli"):
            database, job, _ = databases.create_database(webspace, engine, suffix)
            finish_job(job, JobStatus.SUCCESSFUL)
        database.created_at = webspace.created_at
        db.session.commit()
        return database

    return make
