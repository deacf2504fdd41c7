"""The agents' scrape tokens: one per host, derived from the panel's secret and the host's name,
handed to the agent job when it runs (never stored with it, masked in its events), and written
where Prometheus reads them, each for its own target."""

import hashlib
import hmac
import json
import re
import stat

import yaml

from panel.extensions import db
from panel.hosts.targets import agent_token
from panel.metering import local_prometheus
from panel.provisioning.actions import ACTIONS
from panel.provisioning.models import Job
from panel.provisioning.operations import run_maintenance
from panel.provisioning.runner import EventSink, secret_values


def test_each_host_has_its_own_token_derived_from_the_panels_secret(app):
    secret = app.config["SECRET_KEY"]
    first, second = agent_token("web1"), agent_token("web2")
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first != second
    assert first == hmac.new(secret.encode(), b"panel-agent-token:web1", hashlib.sha256).hexdigest()
    # Not the single token all hosts shared before.
    assert first != hashlib.sha256(f"panel-agent-token:{secret}".encode()).hexdigest()
    app.config["SECRET_KEY"] = secret + "x"
    try:
        assert agent_token("web1") != first
    finally:
        app.config["SECRET_KEY"] = secret


def test_the_agent_job_gets_its_hosts_tokens_when_it_runs_and_stores_none(make_host):
    hosts = [make_host("tok1").name, make_host("tok2").name]
    job = run_maintenance("agent", hosts)
    secrets = ACTIONS[job.action].secrets(job.hosts)
    assert secrets == {"agent_tokens": {"tok1": agent_token("tok1"), "tok2": agent_token("tok2")}}
    stored = Job.__table__
    row = db.session.execute(stored.select().where(stored.c.id == job.id)).one()
    assert row.secret_vars is None
    assert all(agent_token(name) not in str(row.extra_vars) for name in hosts)


def test_every_hosts_token_is_masked_in_the_jobs_events(app):
    tokens = {"agent_tokens": {"tok1": agent_token("tok1"), "tok2": agent_token("tok2")}}
    assert sorted(secret_values(tokens)) == sorted(tokens["agent_tokens"].values())
    sink = EventSink(0, secret_values(tokens))
    text = f"tok1 {agent_token('tok1')}, tok2 {agent_token('tok2')}"
    assert sink.scrub(text) == "tok1 ********, tok2 ********"


def test_prometheus_reads_each_agents_token_next_to_its_target(app, make_host):
    make_host("tok1")
    make_host("tok2")
    make_host("gone", state="retired")
    config = local_prometheus.prepare("127.0.0.1:9")
    agent_job = next(
        job
        for job in yaml.safe_load(config.read_text())["scrape_configs"]
        if job["job_name"] == "agent"
    )
    assert agent_job["file_sd_configs"] == [{"files": ["targets/agents.json"]}]
    assert "authorization" not in agent_job
    targets = config.parent / "targets"
    agents = targets / "agents.json"
    assert stat.S_IMODE(agents.stat().st_mode) == 0o640
    assert json.loads(agents.read_text()) == [
        {
            "targets": ["198.18.0.2"],
            "labels": {"host": name, "role": "webspace", "__param_token": agent_token(name)},
        }
        for name in ("tok1", "tok2")
    ]
    # hosts.json, which the node job reads too, holds no token.
    hosts = (targets / "hosts.json").read_text()
    assert "__param_token" not in hosts and agent_token("tok1") not in hosts
    assert stat.S_IMODE((targets / "hosts.json").stat().st_mode) == 0o644
    assert not (targets / "agent-token").exists()
