"""The host agent's video collector (agents/panel_agent.py, --bbblb-database) against this
machine's PostgreSQL: BBBLB's tables in a database of the test's own, read the way the agent
reads them on a BBBLB host (runuser -u postgres -- psql), and what a scrape then shows."""

import http.client
import json
import os
import socket

import pytest
from agent_source import agent_service
from agent_source import panel_agent as agent_module
from polling import poll
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from scratch_databases import fresh_postgres
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

POSTGRES = os.environ.get(
    "PANEL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECONDS = "panel_video_participant_seconds_total"
MEETINGS = "panel_bbb_server_meetings"
PARTICIPANTS = "panel_bbb_server_participants"
ENABLED = "panel_bbb_server_enabled"
HEALTH = "panel_bbb_server_health"
LAST = "panel_agent_last_collection_timestamp_seconds"
ERRORS = "panel_agent_collection_errors_total"

# BBBLB 0.0.18's tables as its migrations leave them on PostgreSQL (0650f8bdb0d2 initial state,
# 80e8524b0d7c and 8fdf995890b2 for servers.stats as JSONB, 91382557ef81 for meeting_stats),
# with only the columns the agent reads and those that key them: tenants without realm, secret
# and enabled; servers without secret, errors, recover and load; meeting_stats without ts,
# uuid, meeting_id, voice and video.
BBBLB_TABLES = """
CREATE TABLE tenants (
    id SERIAL NOT NULL,
    name VARCHAR NOT NULL,
    CONSTRAINT pk_tenants PRIMARY KEY (id),
    CONSTRAINT uq_tenants_name UNIQUE (name)
);
CREATE TABLE servers (
    id SERIAL NOT NULL,
    domain VARCHAR NOT NULL,
    enabled BOOLEAN NOT NULL,
    health INTEGER NOT NULL,
    stats JSONB NOT NULL,
    CONSTRAINT pk_servers PRIMARY KEY (id),
    CONSTRAINT uq_servers_domain UNIQUE (domain)
);
CREATE TABLE meeting_stats (
    id SERIAL NOT NULL,
    tenant_fk INTEGER,
    users INTEGER NOT NULL,
    CONSTRAINT pk_meeting_stats PRIMARY KEY (id),
    CONSTRAINT fk_meeting_stats_tenant_fk_tenants FOREIGN KEY(tenant_fk) REFERENCES tenants (id)
);
"""


@pytest.fixture(autouse=True)
def transaction():
    """The agent has no panel database: the shared rolled-back session stays out."""
    yield None


class Bbblb:
    """BBBLB's database: its tables, and rows as BBBLB's poller writes them."""

    def __init__(self, url: str):
        self.name = make_url(url).database
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")
        self.sql(BBBLB_TABLES)

    def sql(self, statement: str, **values) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql(statement, values or None)

    def tenant(self, name: str) -> None:
        self.sql("INSERT INTO tenants (name) VALUES (%(name)s)", name=name)

    def server(self, domain: str, enabled: bool, health: int, stats: dict) -> None:
        self.sql(
            "INSERT INTO servers (domain, enabled, health, stats)"
            " VALUES (%(domain)s, %(enabled)s, %(health)s, %(stats)s)",
            domain=domain,
            enabled=enabled,
            health=health,
            stats=json.dumps(stats),
        )

    def poll(self, tenant: str | None, *users: int) -> None:
        """One poll's rows: a meeting of TENANT (None: a meeting without one) per count."""
        for count in users:
            self.sql(
                "INSERT INTO meeting_stats (tenant_fk, users)"
                " VALUES ((SELECT id FROM tenants WHERE name = %(tenant)s), %(users)s)",
                tenant=tenant,
                users=count,
            )


@pytest.fixture
def bbblb(monkeypatch):
    url, drop = fresh_postgres(POSTGRES, "panel_bbblb")
    server = make_url(url)
    # runuser keeps the environment: psql as postgres reaches this server over TCP (trust)
    # instead of a host's local socket.
    monkeypatch.setenv("PGHOST", server.host or "127.0.0.1")
    monkeypatch.setenv("PGPORT", str(server.port or 5432))
    database = Bbblb(url)
    yield database
    database.engine.dispose()
    drop()


@pytest.fixture
def agent(tmp_path, bbblb):
    def read():
        return agent_module.bbblb_usage(bbblb.name)

    return agent_module.Agent(
        tmp_path / "logs",
        tmp_path / "homes",
        tmp_path / "cgroup",
        tmp_path / "state.json",
        database_engines={},
        video=read,
        poll_interval=30,
    )


def scrape(agent) -> dict:
    """{(sample name, labels): value} of what a scrape returns now."""
    text = generate_latest(agent.registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def metric(samples: dict, name: str) -> dict:
    """{first label value: value} of NAME's samples."""
    return {labels[0][1]: number for (sample, labels), number in samples.items() if sample == name}


def test_participant_time_and_the_servers_come_from_bbblbs_tables(bbblb, agent):
    for name in ("coop1", "coop2", "idle"):
        bbblb.tenant(name)
    # Three polls: coop1 with two meetings, then one; coop2 with one; a meeting of no tenant.
    bbblb.poll("coop1", 3, 5)
    bbblb.poll("coop2", 2)
    bbblb.poll("coop1", 4)
    bbblb.poll(None, 7)
    bbblb.server("bbb1.example.org", True, 0, {"meetings": 2, "users": 9, "voice": 4})
    bbblb.server("bbb2.example.org:8443", False, 1, {"meetings": 1, "users": 3, "largest": 3})
    # Added, never polled: BBBLB's stats are still {}.
    bbblb.server("bbb3.example.org", True, 2, {})

    assert agent.run_pass("video")
    samples = scrape(agent)
    assert metric(samples, SECONDS) == {"coop1": 12 * 30, "coop2": 2 * 30, "idle": 0}
    servers = ("bbb1.example.org", "bbb2.example.org:8443", "bbb3.example.org")
    assert metric(samples, MEETINGS) == dict(zip(servers, (2, 1, 0), strict=True))
    assert metric(samples, PARTICIPANTS) == dict(zip(servers, (9, 3, 0), strict=True))
    assert metric(samples, ENABLED) == dict(zip(servers, (1, 0, 1), strict=True))
    assert metric(samples, HEALTH) == dict(zip(servers, (0, 1, 2), strict=True))
    assert metric(samples, LAST)["video"] > 1.6e9
    assert metric(samples, ERRORS)["video"] == 0


def test_counters_grow_and_a_tenant_added_later_appears(bbblb, agent):
    bbblb.tenant("coop1")
    bbblb.poll("coop1", 2)
    assert agent.run_pass("video")
    assert metric(scrape(agent), SECONDS) == {"coop1": 60}

    bbblb.tenant("late")
    bbblb.poll("coop1", 1)
    bbblb.poll("late", 6)
    bbblb.server("bbb1.example.org", True, 0, {"meetings": 2, "users": 7})
    assert agent.run_pass("video")
    samples = scrape(agent)
    assert metric(samples, SECONDS) == {"coop1": 90, "late": 180}
    assert metric(samples, PARTICIPANTS) == {"bbb1.example.org": 7}


def test_a_broken_database_counts_an_error_and_keeps_the_last_values(bbblb, agent):
    bbblb.tenant("coop1")
    bbblb.poll("coop1", 4)
    bbblb.server("bbb1.example.org", True, 0, {"meetings": 1, "users": 4})
    assert agent.run_pass("video")
    before = scrape(agent)

    bbblb.sql("DROP TABLE meeting_stats")
    assert not agent.run_pass("video")
    # The database itself gone: psql cannot connect.
    bbblb.engine.dispose()
    bbblb.name = "panel_bbblb_missing"
    assert not agent.run_pass("video")

    after = scrape(agent)
    assert metric(after, ERRORS)["video"] == 2
    assert metric(after, LAST) == metric(before, LAST)
    for name in (SECONDS, MEETINGS, PARTICIPANTS, ENABLED, HEALTH):
        assert metric(after, name) == metric(before, name), name
    assert metric(after, SECONDS) == {"coop1": 120}


def test_the_query_output_is_parsed_strictly():
    parse = agent_module.parse_bbblb
    server = {"enabled": True, "health": 0, "meetings": 1, "users": 2}
    # As psql prints json_build_object's value: spaces around the colons, a line end.
    printed = json.dumps({"tenants": {"coop1": 5}, "servers": {"bbb1.example.org": server}})
    assert parse(printed.replace(": ", " : ") + "\n") == json.loads(printed)
    assert parse('{"tenants" : {}, "servers" : {}}') == {"tenants": {}, "servers": {}}
    refused = [
        "",
        'ERROR:  relation "meeting_stats" does not exist',
        '{"tenants": {}}',
        '{"tenants": [], "servers": {}}',
        '{"tenants": {"coop 1": 5}, "servers": {}}',
        '{"tenants": {"coop1": -1}, "servers": {}}',
        '{"tenants": {"coop1": 1.5}, "servers": {}}',
        '{"tenants": {"coop1": true}, "servers": {}}',
        json.dumps({"tenants": {}, "servers": {"bbb1 example": server}}),
        '{"tenants": {}, "servers": {"bbb1": {"enabled": 1, "health": 0}}}',
        '{"tenants": {}, "servers": {"bbb1": {"enabled": true, "health": 3}}}',
        '{"tenants": {}, "servers": {"bbb1": {"enabled": true, "health": true}}}',
        '{"tenants": {}, "servers": {"bbb1": {"enabled": true, "health": 0, "users": "2"}}}',
    ]
    for output in refused:
        with pytest.raises(ValueError):
            parse(output)


def test_without_a_bbblb_database_there_is_no_video_collector(tmp_path):
    agent = agent_module.Agent(
        tmp_path / "logs", tmp_path / "homes", tmp_path / "cgroup", tmp_path / "state.json"
    )
    assert agent.collectors == agent_module.COLLECTORS
    text = generate_latest(agent.registry).decode()
    assert "panel_video" not in text and "panel_bbb" not in text
    assert 'collector="video"' not in text
    assert agent_module.parse_args([]).bbblb_database is None
    for wrong in (["--bbblb-database", "bbblb; drop"], ["--bbblb-database", "-h"]):
        with pytest.raises(SystemExit):
            agent_module.parse_args(wrong)
    with pytest.raises(SystemExit):
        agent_module.parse_args(["--bbblb-database", "bbblb", "--bbblb-poll-interval", "0"])
    with pytest.raises(ValueError, match="not a database name"):
        agent_module.bbblb_usage("postgresql://elsewhere/db")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def served(port: int) -> str:
    """The agent's /metrics, or "" while it does not answer yet."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/metrics", headers={"Authorization": "Bearer video-token"})
        return connection.getresponse().read().decode()
    except OSError:
        return ""
    finally:
        connection.close()


def test_the_service_collects_bbblb_usage_on_its_interval(bbblb, tmp_path):
    bbblb.tenant("coop1")
    bbblb.poll("coop1", 3)
    token = tmp_path / "token"
    token.write_text("video-token\n")
    port = free_port()
    arguments = [
        *("--listen", f"127.0.0.1:{port}", "--log-root", str(tmp_path / "logs")),
        *("--home-root", str(tmp_path / "homes"), "--cgroup-root", str(tmp_path / "cg")),
        *("--state", str(tmp_path / "state.json"), "--token-file", str(token)),
        *("--bbblb-database", bbblb.name, "--bbblb-poll-interval", "10"),
        *("--video-interval", "0.2"),
    ]
    environment = {name: os.environ[name] for name in ("PATH", "PGHOST", "PGPORT")}
    with agent_service(arguments, environment) as run:
        poll(
            lambda: f'{SECONDS}{{tenant="coop1"}} 30.0' in served(port),
            10,
            "the agent does not serve the tenant's participant time",
        )
        bbblb.poll("coop1", 2)
        poll(
            lambda: f'{SECONDS}{{tenant="coop1"}} 50.0' in served(port),
            10,
            "the agent does not read BBBLB on its interval",
        )
    assert run.process.returncode == 0, run.output
