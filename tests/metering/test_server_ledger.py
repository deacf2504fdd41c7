"""Managed servers in the ledger, against a real Prometheus holding node_exporter's series as
the panel's scrape targets label them (`host`): a host's usage belongs to the server that held
it, for the part of each period it did."""

from datetime import timedelta
from decimal import Decimal

import pytest
from ledger_rows import held_server
from prometheus_support import PrometheusServer, write_blocks
from sqlalchemy import select

from panel.core.models import utcnow
from panel.extensions import db
from panel.metering import ledger
from panel.metering.models import Quality, UsageRecord

INTERVAL = 60
GAP = 20
STEP = 5
T = ledger.align(utcnow() - timedelta(hours=1), 3600)
T0 = T.timestamp()


def steady(start, end, first, per_step):
    return [(at, first + i * per_step) for i, at in enumerate(range(int(start), int(end), STEP))]


def node(name, host, **labels):
    text = ",".join(f'{k}="{v}"' for k, v in {"job": "node", "host": host, **labels}.items())
    return f"{name}{{{text}}}"


def node_series(host, cpu=None):
    """A host's node_exporter: busy CPU 4 s every 5 s (user 1+1, system 2), 7200 B of memory
    in use, 6000 B used on the root file system."""
    cpu = cpu or (lambda per_step: steady(T0 - 60, T0 + 181, 1000, per_step))
    return {
        node("node_cpu_seconds_total", host, cpu="0", mode="user"): cpu(1),
        node("node_cpu_seconds_total", host, cpu="1", mode="user"): cpu(1),
        node("node_cpu_seconds_total", host, cpu="0", mode="system"): cpu(2),
        # Time the CPU did nothing, waited or was taken by the hypervisor: not the server's use.
        node("node_cpu_seconds_total", host, cpu="0", mode="idle"): cpu(100),
        node("node_cpu_seconds_total", host, cpu="0", mode="iowait"): cpu(7),
        node("node_cpu_seconds_total", host, cpu="0", mode="steal"): cpu(9),
        node("node_memory_MemTotal_bytes", host): steady(T0 - 60, T0 + 181, 8000, 0),
        node("node_memory_MemAvailable_bytes", host): steady(T0 - 60, T0 + 181, 800, 0),
        node("node_filesystem_size_bytes", host, mountpoint="/"): steady(
            T0 - 60, T0 + 181, 10000, 0
        ),
        node("node_filesystem_avail_bytes", host, mountpoint="/"): steady(
            T0 - 60, T0 + 181, 4000, 0
        ),
        node("node_filesystem_size_bytes", host, mountpoint="/boot"): steady(
            T0 - 60, T0 + 181, 999999, 0
        ),
        node("node_filesystem_avail_bytes", host, mountpoint="/boot"): steady(
            T0 - 60, T0 + 181, 0, 0
        ),
    }


def rebooted(per_step):
    """A counter that went back to 0 at T+30 (the host rebooted)."""
    return steady(T0 - 60, T0 + 30, 5000, per_step) + steady(T0 + 30, T0 + 181, 0, per_step)


SAMPLES = {**node_series("mgd1"), **node_series("mgd2"), **node_series("mgd3", rebooted)}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prometheus")
    write_blocks(folder, SAMPLES)
    server = PrometheusServer(folder).start()
    yield server
    server.stop()


@pytest.fixture
def servers(app, monkeypatch, prometheus, make_host, make_user):
    for key, value in {
        "PROMETHEUS_URL": prometheus.url,
        "METERING_INTERVAL": INTERVAL,
        "METERING_GAP_SECONDS": GAP,
        "METERING_DELAY": 0,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    reseller = make_user("reseller")
    customer = make_user("customer", reseller=reseller)
    hosts = {name: make_host(name) for name in ("mgd1", "mgd2", "mgd3")}
    at = lambda seconds: T + timedelta(seconds=seconds)  # noqa: E731
    return {
        # Held mgd1 from before the periods until half way through the second.
        "early": held_server(hosts["mgd1"], customer, at(-600), at(90)),
        # Took mgd1 over half way through the third.
        "late": held_server(hosts["mgd1"], customer, at(150)),
        # Allocated mgd2 only after the three periods.
        "future": held_server(hosts["mgd2"], customer, at(200)),
        "rebooted": held_server(hosts["mgd3"], customer, at(-600)),
    }


def collect_three():
    run = ledger.collect(T, T + timedelta(seconds=3 * INTERVAL))
    assert run.status == "complete", run.error
    return run


def quantities(server, metric):
    rows = db.session.scalars(
        select(UsageRecord)
        .where(UsageRecord.server_id == server.id, UsageRecord.metric == metric)
        .order_by(UsageRecord.period_start)
    ).all()
    return {int((row.period_start - T).total_seconds()): row.quantity for row in rows}


def test_a_servers_usage_is_its_hosts_for_the_time_it_held_it(servers):
    collect_three()
    early, late = servers["early"], servers["late"]
    # Busy CPU: 4 s every 5 s, idle, iowait and steal left out.
    assert quantities(early, "server_cpu") == {0: Decimal(48), 60: Decimal(24)}
    assert quantities(late, "server_cpu") == {120: Decimal(24)}
    # 7200 B in use for a minute: 120 B·h; half a minute: 60.
    assert quantities(early, "server_memory") == {0: Decimal(120), 60: Decimal(60)}
    assert quantities(late, "server_memory") == {120: Decimal(60)}
    # Only the root file system: 6000 B for a minute, 100 B·h.
    assert quantities(early, "server_disk") == {0: Decimal(100), 60: Decimal(50)}
    assert quantities(late, "server_disk") == {120: Decimal(50)}
    row = db.session.scalars(select(UsageRecord).where(UsageRecord.server_id == late.id)).first()
    assert (row.resource_type, row.resource_id, row.resource_name) == (
        "server",
        late.id,
        late.hostname,
    )
    assert row.webspace_id is None and row.member_id == late.member_id
    assert row.quality == Quality.COMPLETE


def test_server_hours_are_the_allocated_seconds_of_each_period(servers):
    collect_three()
    assert quantities(servers["early"], "server_hours") == {0: Decimal(60), 60: Decimal(30)}
    assert quantities(servers["late"], "server_hours") == {120: Decimal(30)}
    assert quantities(servers["rebooted"], "server_hours") == {
        0: Decimal(60),
        60: Decimal(60),
        120: Decimal(60),
    }


def test_a_period_in_which_no_server_held_the_host_gives_no_rows(servers):
    run = collect_three()
    assert (
        db.session.scalars(
            select(UsageRecord).where(UsageRecord.server_id == servers["future"].id)
        ).all()
        == []
    )
    # mgd2's three node series (CPU, memory, disk) belonged to no server.
    assert run.unmatched == 3 * 3


def test_a_reboot_counts_the_cpu_time_since_and_collecting_again_adds_nothing(servers):
    run = collect_three()
    rows = db.session.scalars(
        select(UsageRecord)
        .where(UsageRecord.server_id == servers["rebooted"].id, UsageRecord.metric == "server_cpu")
        .order_by(UsageRecord.period_start)
    ).all()
    assert [row.quality for row in rows] == [Quality.RESET, Quality.COMPLETE, Quality.COMPLETE]
    # Read every 15 s: 12 s up to T+15; at T+30 back to 0 (what ran in between went with the
    # reboot), then 12 s every 15 s up to T+60.
    assert rows[0].quantity == Decimal(12 + 0 + 24)
    assert [row.raw_start for row in rows[1:]] == [row.raw_end for row in rows[:-1]]
    again = ledger.collect(T, T + timedelta(seconds=3 * INTERVAL))
    assert again.records == 0 and run.records > 0
