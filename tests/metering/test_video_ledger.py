"""Video tenants in the ledger, against a real Prometheus holding the BBBLB host agent's
participant seconds (panel_video_participant_seconds_total{tenant}): each tenant's increase per
period, in its member's name, and a pool keyed by it shares costs by participant minutes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from prometheus_support import PrometheusServer, write_blocks
from sqlalchemy import select

from panel.billing import keys
from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db
from panel.hosts.models import HostRole
from panel.metering import ledger
from panel.metering.models import UsageRecord
from panel.provisioning import operations as provisioning
from panel.video import operations as video

INTERVAL = 60
STEP = 5
T = ledger.align(utcnow() - timedelta(hours=1), 3600)
T0 = T.timestamp()


def participants(tenant: str, per_step: int) -> tuple[str, list]:
    """Per_step participants in the tenant's meetings: the agent's counter grows by their
    seconds each step."""
    name = f'panel_video_participant_seconds_total{{job="agents",host="bbblb1",tenant="{tenant}"}}'
    points = [
        (at, i * per_step * STEP) for i, at in enumerate(range(int(T0 - 60), int(T0 + 181), STEP))
    ]
    return name, points


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prometheus")
    write_blocks(folder, dict([participants("vda", 4), participants("vdb", 1)]))
    server = PrometheusServer(folder).start()
    yield server
    server.stop()


@pytest.fixture
def tenants(app, monkeypatch, prometheus, make_host, make_member):
    for key, value in {
        "PROMETHEUS_URL": prometheus.url,
        "METERING_INTERVAL": INTERVAL,
        "METERING_GAP_SECONDS": 20,
        "METERING_DELAY": 0,
        "VIDEO_DOMAIN": "video.test",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    host = make_host("bbblb1")
    host.role = HostRole.BBB_LB
    db.session.commit()
    made = {}
    for prefix in ("vda", "vdb"):
        member = make_member(prefix)
        with acting("cli"):
            tenant, _, job = video.create_tenant(member)
            provisioning.finish_job(job, "successful", stats={})
            db.session.commit()
        tenant.created_at = T - timedelta(hours=1)
        db.session.commit()
        made[prefix] = tenant
    return made


def test_each_tenants_participant_seconds_are_its_members_usage(tenants):
    run = ledger.collect(T, T + timedelta(seconds=3 * INTERVAL))
    assert run.status == "complete", run.error
    rows = db.session.scalars(
        select(UsageRecord)
        .where(UsageRecord.metric == "video_participants")
        .order_by(UsageRecord.resource_name, UsageRecord.period_start)
    ).all()
    by_tenant = {}
    for row in rows:
        by_tenant.setdefault(row.resource_name, []).append(row.quantity)
        assert row.resource_type == "video_tenant" and row.video_tenant_id == row.resource_id
        assert row.webspace_id is None and row.server_id is None
    # Four participants for a minute: 240 participant seconds a period; one: 60.
    assert by_tenant == {"vda": [Decimal(240)] * 3, "vdb": [Decimal(60)] * 3}
    vda = tenants["vda"]
    assert {row.member_id for row in rows if row.resource_name == "vda"} == {vda.member_id}
    month = T.date()
    shares = keys.usage("video_participants", month)
    assert shares[vda.member_id] == Decimal(12)
    assert keys.unit("video_participants") == "participant-min"
