"""The agents' scrape token: derived from the panel's secret, handed to the agent job when it
runs (never stored with it), and written where the local Prometheus reads it."""

import hashlib
import re
import stat

from panel.extensions import db
from panel.metering import local_prometheus
from panel.metering.targets import agent_token
from panel.provisioning.actions import ACTIONS
from panel.provisioning.models import Job
from panel.provisioning.operations import run_maintenance


def test_the_token_is_derived_from_the_panels_secret(app):
    assert re.fullmatch(r"[0-9a-f]{64}", agent_token())
    secret = app.config["SECRET_KEY"]
    # panel.yml computes the same with Ansible's hash filter.
    assert agent_token() == hashlib.sha256(f"panel-agent-token:{secret}".encode()).hexdigest()
    app.config["SECRET_KEY"] = secret + "x"
    try:
        assert agent_token() != hashlib.sha256(f"panel-agent-token:{secret}".encode()).hexdigest()
    finally:
        app.config["SECRET_KEY"] = secret


def test_the_agent_job_gets_the_token_when_it_runs_and_stores_none(make_host):
    host = make_host("tok1")
    job = run_maintenance("agent", [host.name])
    assert ACTIONS[job.action].secrets() == {"agent_token": agent_token()}
    stored = Job.__table__
    row = db.session.execute(stored.select().where(stored.c.id == job.id)).one()
    assert row.secret_vars is None and agent_token() not in str(row.extra_vars)


def test_the_local_prometheus_reads_the_token_next_to_its_targets(app):
    config = local_prometheus.prepare("127.0.0.1:9")
    token = config.parent / "targets" / "agent-token"
    assert "credentials_file: targets/agent-token" in config.read_text()
    assert token.read_text() == agent_token() + "\n"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
