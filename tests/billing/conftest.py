from datetime import UTC, datetime, timedelta

import pytest
from ledger_rows import ledger_row

from panel.billing import operations
from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db
from panel.webspaces.models import Webspace


@pytest.fixture
def last_month():
    """The first day of the month before this one: a whole past month to bill."""
    first = utcnow().date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


@pytest.fixture
def period(last_month):
    with acting("cli"):
        return operations.open_period(last_month.strftime("%Y-%m"), vat_percent="19")


@pytest.fixture
def ledger(make_host):
    """Write ledger rows as the collector would: ledger(member, metric, quantity, day)."""
    host = make_host("bill1")
    webspaces: dict[int, Webspace] = {}

    def write(member, metric: str, quantity, when: datetime):
        webspace = webspaces.get(member.id)
        if webspace is None:
            webspace = Webspace(
                member_id=member.id,
                name=f"{member.prefix}00",
                host_id=host.id,
                state="active",
                max_domains=1,
                max_databases=1,
                max_users=1,
                quota_mib=1024,
            )
            db.session.add(webspace)
            db.session.flush()
            webspaces[member.id] = webspace
        start = when.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
        return ledger_row(webspace, metric, quantity, start)

    return write
