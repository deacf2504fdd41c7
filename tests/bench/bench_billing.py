"""Benchmark: a billing run for 10,000 members with five metered keys each (one ledger row per
member and meter for the month, one cost pool per meter), and issuing the 10,000 drafts; baseline
in the same process: 1,000 members. On a scratch SQLite database, and on a fresh PostgreSQL
database when one answers.

Run: `.venv/bin/python -m tests.bench.bench_billing`. PostgreSQL: PANEL_BENCH_POSTGRES_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/postgres if that port answers.
"""

import os
import socket
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select

from tests.ledger_rows import UNITS
from tests.scratch_databases import fresh_postgres

BASELINE = 1_000
FULL = 10_000
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# Meter → ledger quantity of member number n, in the ledger's unit (bytes, requests, seconds,
# byte-hours): uneven, so that the shares need rounding; traffic alone puts every member above
# a cent, so each gets an invoice.
METERS = {
    "traffic": lambda n: (n % 997 + 1_000) * 12_345_678,
    "requests": lambda n: n % 89 * 1_001,
    "cpu": lambda n: Decimal(n % 613 + 1) / 8,
    "disk": lambda n: (n % 331 + 1) * 10**9 * 720,
    "database_disk": lambda n: n % 41 * 10**8 * 720,
}
POOLS = {
    "traffic": "4321.09",
    "requests": "123.45",
    "cpu": "2500.00",
    "disk": "1800.01",
    "database_disk": "777.77",
}


def prefix(number: int) -> str:
    return "".join(chr(97 + (number // 26**i) % 26) for i in (2, 1, 0))


def populate(members: int, month: date) -> None:
    """MEMBERS members, each with a webspace and one ledger row per meter in the month."""
    from panel.coop.models import Member
    from panel.extensions import db
    from panel.hosts.models import Host
    from panel.metering.models import UsageRecord
    from panel.webspaces.models import Webspace

    host = Host(name="web1", address="198.18.0.2", state="ready", host_key="x", fingerprint="y")
    db.session.add(host)
    db.session.flush()
    db.session.execute(
        insert(Member),
        [
            {
                "number": f"M-{n + 1:05d}",
                "prefix": prefix(n),
                "kind": "natural",
                "name": f"Member {n}",
                "email": f"{prefix(n)}@example.org",
                "status": "active",
                "applied_on": month,
                "admitted_on": month,
            }
            for n in range(members)
        ],
    )
    ids = dict(db.session.execute(select(Member.prefix, Member.id)).all())
    limits = {"max_domains": 1, "max_databases": 1, "max_users": 1, "quota_mib": 1024}
    db.session.execute(
        insert(Webspace),
        [
            {
                "name": f"{prefix(n)}00",
                "member_id": ids[prefix(n)],
                "host_id": host.id,
                "state": "active",
                **limits,
            }
            for n in range(members)
        ],
    )
    webspaces = dict(db.session.execute(select(Webspace.member_id, Webspace.id)).all())
    start = datetime(month.year, month.month, 15, tzinfo=UTC)
    rows = []
    for n in range(members):
        member_id = ids[prefix(n)]
        for meter, quantity in METERS.items():
            value = Decimal(quantity(n))
            rows.append(
                {
                    "member_id": member_id,
                    "webspace_id": webspaces[member_id],
                    "resource_type": "webspace",
                    "resource_id": webspaces[member_id],
                    "resource_name": f"{prefix(n)}00",
                    "metric": meter,
                    "unit": UNITS[meter],
                    "period_start": start,
                    "period_end": start + timedelta(hours=1),
                    "raw_start": Decimal(0),
                    "raw_end": value,
                    "quantity": value,
                    "quality": "complete",
                    "samples": 240,
                    "covered_seconds": 3600,
                }
            )
    db.session.execute(insert(UsageRecord), rows)
    db.session.commit()


def measure(url: str, members: int, folder: Path) -> tuple[float, float]:
    """Seconds for run_period and for issue() on a database with MEMBERS members."""
    from panel import create_app
    from panel.billing import operations
    from panel.billing.models import BillingPeriod, InvoiceLine
    from panel.core.audit import acting
    from panel.core.migrate import upgrade
    from panel.core.models import utcnow
    from panel.extensions import db

    upgrade(url)
    app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "SECRET_KEY": "bench"}
    )
    month = (utcnow().date().replace(day=1) - timedelta(days=1)).replace(day=1)
    with app.app_context(), acting("cli"):
        populate(members, month)
        period = operations.open_period(month.strftime("%Y-%m"))
        for key, amount in POOLS.items():
            operations.add_pool(period, key, amount, key)
        began = time.perf_counter()
        result = operations.run_period(db.session.get(BillingPeriod, period.id))
        run = time.perf_counter() - began
        began = time.perf_counter()
        issued = operations.issue(db.session.get(BillingPeriod, period.id))
        issuing = time.perf_counter() - began
        assert len(result.created) == len(issued) == members and not result.unallocated
        shared = defaultdict(Decimal)
        for pool_id, net in db.session.execute(select(InvoiceLine.pool_id, InvoiceLine.net)):
            shared[pool_id] += net
        assert sorted(shared.values()) == sorted(Decimal(amount) for amount in POOLS.values())
        db.session.remove()
        db.engine.dispose()
    return run, issuing


def postgres_url() -> str | None:
    """The PostgreSQL server to use: the configured one, or a local one if it answers."""
    configured = os.environ.get("PANEL_BENCH_POSTGRES_URL")
    if configured:
        return configured
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return None
    return LOCAL_POSTGRES


def on_sqlite(members: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-billing-") as folder:
        return measure(f"sqlite:///{folder}/panel.db", members, Path(folder))


def on_postgres(server: str, members: int) -> tuple[float, float]:
    url, drop = fresh_postgres(server, "panel_bench")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-billing-") as folder:
            return measure(url, members, Path(folder))
    finally:
        drop()


def report(database: str, baseline: tuple[float, float], full: tuple[float, float]) -> None:
    print(f"{database}: run_period, {BASELINE:,} members: {baseline[0]:.2f} s")
    print(f"{database}: run_period, {FULL:,} members: {full[0]:.2f} s")
    print(f"{database}: ratio {FULL:,} / {BASELINE:,}: {full[0] / baseline[0]:.2f} (linear: 10)")
    print(f"{database}: issue, {BASELINE:,} drafts: {baseline[1]:.2f} s")
    print(f"{database}: issue, {FULL:,} drafts: {full[1]:.2f} s")


def main() -> int:
    report("SQLite", on_sqlite(BASELINE), on_sqlite(FULL))
    server = postgres_url()
    if server is None:
        print("PostgreSQL: none answers on 127.0.0.1:5432 and PANEL_BENCH_POSTGRES_URL is unset")
    else:
        report("PostgreSQL", on_postgres(server, BASELINE), on_postgres(server, FULL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
