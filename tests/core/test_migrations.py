"""The migrations build exactly the schema the models describe, on both databases."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, create_engine, inspect, text

from panel import models  # noqa: F401  (fills the metadata)
from panel.core.migrate import alembic_config, heads, include_for, render_item, upgrade
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
                    "include_object": include_for(connection.dialect.name, Base.metadata),
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


OLD_ROWS = (
    "INSERT INTO members (id, number, prefix, kind, name, email, phone, street, postal_code,"
    " city, country, status, applied_on, share_count, created_at) VALUES (1, '1', 'abc',"
    " 'natural', 'A', 'a@example.org', '', '', '', '', 'DE', 'active', '2026-01-01', 0,"
    " CURRENT_TIMESTAMP)",
    "INSERT INTO hosts (id, name, address, ssh_port, role, groups, capacity, state,"
    " state_reason, host_key, fingerprint, facts, created_at) VALUES (1, 'web1', '198.18.0.1',"
    " 22, 'webspace', '[]', 10, 'ready', '', '', '', '{}', CURRENT_TIMESTAMP)",
    "INSERT INTO webspaces (id, member_id, name, host_id, state, desired, state_reason,"
    " max_domains, max_databases, max_users, quota_mib, created_at) VALUES (1, 1, 'abc00', 1,"
    " 'active', 'active', '', 5, 5, 5, 1024, CURRENT_TIMESTAMP)",
    "INSERT INTO jobs (id, action, playbook, hosts, extra_vars, status, reason, stats, timeout,"
    " cancel_requested, queued_at, created_at, target_type, target_id) VALUES (1, 'sftp-user',"
    " 'sftp-user.yml', '[]', '{}', 'successful', '', '{}', 60, false, CURRENT_TIMESTAMP,"
    " CURRENT_TIMESTAMP, 'SiteUser', 7)",
    "INSERT INTO site_users (id, webspace_id, member_id, name, public_keys, chroot, last_job_id,"
    " created_at, state, desired, state_reason) VALUES (7, 1, 1, 'abc00-anna', 'ssh-ed25519 A',"
    " true, 1, CURRENT_TIMESTAMP, 'active', 'active', '')",
    "INSERT INTO audit_entries (at, actor_label, source, action, object_type, object_id)"
    " VALUES (CURRENT_TIMESTAMP, '', 'web', 'site_user.create', 'SiteUser', '7'),"
    " (CURRENT_TIMESTAMP, '', 'worker', 'site_user.active', 'SiteUser', '7'),"
    " (CURRENT_TIMESTAMP, '', 'web', 'webspace.create', 'Webspace', '1')",
)


def test_upgrade_keeps_sftp_users_and_renames_what_is_matched_on(scratch_database_url):
    """0009: site_users' rows move to sftp_users; a job finds its resource's outcome, and the
    audit log's filters find the entries, under the new names; new rows get new ids."""
    config = alembic_config(scratch_database_url)
    command.upgrade(config, "0008")
    engine = _engine(scratch_database_url)
    try:
        with engine.begin() as connection:
            for statement in OLD_ROWS:
                connection.execute(text(statement))
        command.upgrade(config, "head")
        with engine.begin() as connection:
            users = connection.execute(text("SELECT id, name, last_job_id FROM sftp_users"))
            chroot = connection.scalar(text("SELECT chroot FROM sftp_users"))
            jobs = connection.execute(text("SELECT resource_type, resource_id FROM jobs"))
            audit = connection.execute(
                text("SELECT action, object_type FROM audit_entries ORDER BY id")
            )
            assert users.all() == [(7, "abc00-anna", 1)]
            assert chroot in (True, 1)
            assert jobs.all() == [("SftpUser", 7)]
            assert audit.all() == [
                ("sftp_user.create", "SftpUser"),
                ("sftp_user.active", "SftpUser"),
                ("webspace.create", "Webspace"),
            ]
            connection.execute(
                text(
                    "INSERT INTO sftp_users (webspace_id, member_id, name, public_keys, chroot,"
                    " created_at, state, desired, state_reason) VALUES (1, 1, 'abc00-ben', 'k',"
                    " false, CURRENT_TIMESTAMP, 'pending', 'active', '')"
                )
            )
            new_id = connection.scalar(text("SELECT id FROM sftp_users WHERE name = 'abc00-ben'"))
            assert new_id > 7
        command.downgrade(config, "0008")
        with engine.connect() as connection:
            jobs = connection.execute(text("SELECT target_type FROM jobs"))
            audit = connection.execute(text("SELECT action FROM audit_entries ORDER BY id"))
            users = connection.execute(text("SELECT name FROM site_users ORDER BY id"))
            assert jobs.all() == [("SiteUser",)]
            assert [row[0] for row in audit] == [
                "site_user.create",
                "site_user.active",
                "webspace.create",
            ]
            assert [row[0] for row in users] == ["abc00-anna", "abc00-ben"]
    finally:
        engine.dispose()


def test_upgrade_sums_the_ledger_so_far_into_the_fleet_totals(scratch_database_url):
    """0023: usage_period_totals starts with the sums of the rows the ledger already holds."""
    from datetime import UTC, date, datetime, timedelta
    from decimal import Decimal

    from sqlalchemy.orm import Session

    from panel.coop.models import Member
    from panel.hosts.models import Host
    from panel.metering.models import UsageRecord
    from panel.webspaces.models import Webspace

    config = alembic_config(scratch_database_url)
    command.upgrade(config, "0022")
    engine = _engine(scratch_database_url)
    hour = datetime(2026, 11, 30, 10, tzinfo=UTC)
    try:
        with Session(engine) as session:
            host = Host(name="web1", address="198.18.0.2")
            member = Member(
                number="00001",
                prefix="abc",
                kind="natural",
                name="A",
                email="a@example.org",
                applied_on=date(2026, 1, 1),
            )
            session.add_all([host, member])
            session.flush()
            spaces = [
                Webspace(
                    name=f"abc0{n}",
                    member_id=member.id,
                    host_id=host.id,
                    max_domains=1,
                    max_databases=1,
                    max_users=1,
                    quota_mib=1,
                )
                for n in range(2)
            ]
            session.add_all(spaces)
            session.flush()
            for space, start, quantity in (
                (spaces[0], hour, "1.5"),
                (spaces[1], hour, "2.25"),
                (spaces[0], hour + timedelta(hours=1), "4"),
            ):
                session.add(
                    UsageRecord(
                        member_id=member.id,
                        webspace_id=space.id,
                        resource_type="webspace",
                        resource_id=space.id,
                        resource_name=space.name,
                        metric="traffic",
                        unit="B",
                        period_start=start,
                        period_end=start + timedelta(hours=1),
                        raw_start=Decimal(0),
                        raw_end=Decimal(quantity),
                        quantity=Decimal(quantity),
                        quality="complete",
                        samples=240,
                        covered_seconds=3600,
                    )
                )
            session.commit()
        command.upgrade(config, "head")
        with engine.connect() as connection:
            totals = connection.execute(
                text(
                    "SELECT metric, quantity, records FROM usage_period_totals"
                    " ORDER BY period_start"
                )
            ).all()
        assert [(m, Decimal(q), n) for m, q, n in totals] == [
            ("traffic", Decimal("3.75"), 2),
            ("traffic", Decimal("4"), 1),
        ]
    finally:
        engine.dispose()
