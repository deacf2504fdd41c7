"""Invoice numbers stay without gaps when two issue runs meet, on PostgreSQL (a database of
the test's own, committed for real: the runs must see each other)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from scratch_databases import app_on_own_postgres
from sqlalchemy import select

from panel.billing import operations
from panel.billing.models import BillingPeriod, Invoice
from panel.coop.operations import create_member
from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db
from panel.hosts.models import Host
from panel.metering.models import UsageRecord
from panel.webspaces.models import Webspace

MEMBERS = 30


@pytest.fixture(autouse=True)
def transaction():
    """This test commits to a database of its own."""
    yield


@pytest.fixture
def app(tmp_path):
    yield from app_on_own_postgres(tmp_path, "panel_numbering")


def months_back(count: int):
    first = utcnow().date().replace(day=1)
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def drafts_for(month) -> BillingPeriod:
    """A period with one draft per member, from a pool shared by traffic."""
    with acting("cli"):
        period = operations.open_period(month.strftime("%Y-%m"))
        operations.add_pool(period, "Uplink", "1000.00", "traffic")
        assert len(operations.run_period(period).created) == MEMBERS
    return period


def test_two_issue_runs_at_once_give_numbers_without_gaps(app):
    with app.app_context():
        host = Host(name="num1", address="198.18.0.2", host_key="k", fingerprint="f")
        db.session.add(host)
        db.session.commit()
        months = [months_back(1), months_back(2)]
        for index in range(MEMBERS):
            prefix = "n" + chr(97 + index // 26) + chr(97 + index % 26)
            with acting("cli"):
                member = create_member(
                    name=f"M{index}", email=f"{prefix}@example.org", prefix=prefix
                )
            webspace = Webspace(
                member_id=member.id,
                name=f"{member.prefix}00",
                host_id=host.id,
                max_domains=1,
                max_databases=1,
                max_users=1,
                quota_mib=1,
            )
            db.session.add(webspace)
            db.session.flush()
            for month in months:
                start = datetime(month.year, month.month, 2, tzinfo=UTC)
                db.session.add(
                    UsageRecord(
                        member_id=member.id,
                        webspace_id=webspace.id,
                        resource_type="webspace",
                        resource_id=webspace.id,
                        resource_name=webspace.name,
                        metric="traffic",
                        unit="B",
                        period_start=start,
                        period_end=start + timedelta(hours=1),
                        raw_start=0,
                        raw_end=(index + 1) * 10**9,
                        quantity=(index + 1) * 10**9,
                        quality="complete",
                        samples=1,
                        covered_seconds=3600,
                    )
                )
            db.session.commit()
        periods = [drafts_for(month).id for month in months]

    # Four runs at once: two per period, so two of them race for the same drafts.
    barrier = threading.Barrier(4)
    errors = []

    def issue(period_id: int) -> None:
        try:
            with app.app_context(), acting("cli"):
                period = db.session.get(BillingPeriod, period_id)
                barrier.wait(timeout=30)
                operations.issue(period)
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(p,)) for p in periods + periods]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with app.app_context():
        numbers = sorted(db.session.scalars(select(Invoice.number)))
    year = utcnow().year
    assert numbers == [f"{year}-{n:06d}" for n in range(1, 2 * MEMBERS + 1)]
