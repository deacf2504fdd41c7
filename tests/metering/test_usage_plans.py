"""How the database reads the ledger's pages: the fleet's newest rows from an index in the list's
own order (not every row of the newest period sorted), and on PostgreSQL a webspace's rows
estimated as what they are, all its member's (not a fraction of them)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert, text

from panel.extensions import db
from panel.metering.models import UsageRecord

METERS = ("traffic", "requests", "cpu", "disk", "database_disk")
HOURS = 20
FIRST = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def ledger(make_member, make_webspace):
    """Twenty hours of five meters for ten webspaces of each of two members."""
    members = [make_member("pla"), make_member("plb")]
    spaces = [make_webspace(member) for member in members for _ in range(10)]
    db.session.execute(
        insert(UsageRecord),
        [
            {
                "member_id": space.member_id,
                "webspace_id": space.id,
                "resource_type": "webspace",
                "resource_id": space.id,
                "resource_name": space.name,
                "metric": metric,
                "unit": "B",
                "period_start": FIRST + timedelta(hours=hour),
                "period_end": FIRST + timedelta(hours=hour + 1),
                "raw_start": 0,
                "raw_end": hour,
                "quantity": hour,
                "quality": "complete",
                "samples": 240,
                "covered_seconds": 3600,
            }
            for space in spaces
            for metric in METERS
            for hour in range(HOURS)
        ],
    )
    db.session.execute(text("ANALYZE usage_records"))
    return spaces


def _statement(client, path: str) -> tuple[str, object]:
    """The SQL (and its parameters) with which the call read ledger rows."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT usage_records.id"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    (found,) = seen
    return found


def test_a_page_of_the_fleets_rows_is_read_in_its_order_from_an_index(api_as, ledger):
    statement, parameters = _statement(api_as("admin")[0], "/api/v1/usage")
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        # A test's few rows are cheaper to read whole and sort: the planner is told not to, so
        # that its plan shows whether an index gives the list's order.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        connection.exec_driver_sql("SET LOCAL enable_incremental_sort = off")
        plan = "\n".join(
            row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        )
        assert "ix_usage_records_period_start" in plan and "Sort" not in plan, plan
    else:
        steps = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        plan = "\n".join(row[-1] for row in steps)
        assert "USING INDEX ix_usage_records_period_start" in plan, plan
        assert "TEMP B-TREE" not in plan, plan


def test_postgresql_counts_a_webspaces_rows_as_all_its_members(ledger):
    space = ledger[0]
    if db.engine.dialect.name != "postgresql":
        assert db.engine.dialect.name == "sqlite"
        return
    query = text(
        "EXPLAIN (FORMAT JSON) SELECT id FROM usage_records"
        " WHERE member_id = :member AND webspace_id = :webspace"
    )
    (plan,) = db.session.execute(query, {"member": space.member_id, "webspace": space.id}).scalar()
    expected = len(METERS) * HOURS
    # Taken as independent, the two conditions would leave a twentieth of a member's rows
    # (half as many as the webspace has), and the planner sorts them whole instead of reading
    # the newest from the webspace's index.
    estimated = plan["Plan"]["Plan Rows"]
    assert expected * 0.8 <= estimated <= expected * 1.25, json.dumps(plan)
