"""Benchmark: one hour of the usage ledger for 10,000 and 100,000 webspace series (2,000 and
20,000 webspaces, five meters each), read from a real Prometheus whose samples (every 15 s) were
written with promtool; baseline in the same process: 1,000 series (200 webspaces). Target:
10,000 series under 2 s, and time linear in the series (ratios near 10 and 100).

Run: `.venv/bin/python -m tests.bench.bench_ledger` (needs Debian's prometheus package).
"""

import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from tests.prometheus_support import PrometheusServer

SCRAPE = 15
# Webspaces per run, five series each; the first is the baseline.
RUNS = (200, 2000, 20_000)
TARGET_SERIES, TARGET_SECONDS = 10_000, 2.0
INTERVAL = 3600
METERS = {
    "panel_webspace_http_response_bytes_total": 40_000,
    "panel_webspace_http_requests_total": 10,
    "panel_webspace_cpu_seconds_total": 0.5,
    "panel_webspace_disk_usage_bytes": 0,
}


def webspace_names(count: int, offset: int) -> list[str]:
    names = []
    for number in range(offset, offset + count):
        prefix = "".join(chr(97 + (number // 100 // 26**i) % 26) for i in (2, 1, 0))
        names.append(f"{prefix}{number % 100:02d}")
    return names


def write_samples(folder: Path, names: list[str], start: float) -> None:
    """The OpenMetrics text promtool reads, streamed to disk (it is large)."""
    import subprocess

    text = folder / "samples.om"
    times = [start - 300 + SCRAPE * i for i in range((INTERVAL + 300) // SCRAPE + 1)]
    with text.open("w") as out:
        for metric, step in METERS.items():
            out.write(f"# TYPE {metric} gauge\n")
            for name in names:
                series = f'{metric}{{job="agent",host="web1",webspace="{name}"}}'
                base = 1_000_000 if step == 0 else 0
                out.writelines(f"{series} {base + i * step} {at}\n" for i, at in enumerate(times))
        metric = "panel_database_size_bytes"
        out.write(f"# TYPE {metric} gauge\n")
        for name in names:
            series = (
                f'{metric}{{job="agent",webspace="{name}",database="{name}_db",engine="mariadb"}}'
            )
            out.writelines(f"{series} 5000000 {at}\n" for at in times)
        out.write("# EOF\n")
    subprocess.run(
        [
            "/usr/bin/promtool",
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            str(text),
            str(folder / "data"),
        ],
        check=True,
        capture_output=True,
    )
    text.unlink()


def make_resources(names: list[str]) -> None:
    from panel.coop.operations import create_member
    from panel.core.audit import acting
    from panel.core.models import utcnow
    from panel.extensions import db
    from panel.hosts.models import Host
    from panel.webspaces.models import Database, Webspace

    with acting("cli"):
        member = create_member(name="Bench", email="bench@example.org", prefix="ben")
    host = Host(name="web1", address="198.18.0.2", state="ready", host_key="x", fingerprint="y")
    db.session.add(host)
    db.session.flush()
    long_ago = utcnow() - timedelta(days=3)
    limits = {"max_domains": 1, "max_databases": 1, "max_users": 1, "quota_mib": 1024}
    db.session.execute(
        insert(Webspace),
        [
            {
                "name": n,
                "member_id": member.id,
                "host_id": host.id,
                "state": "active",
                "desired": "active",
                "created_at": long_ago,
                **limits,
            }
            for n in names
        ],
    )
    ids = dict(db.session.execute(select(Webspace.name, Webspace.id)).all())
    db.session.execute(
        insert(Database),
        [
            {
                "name": f"{n}_db",
                "engine": "mariadb",
                "webspace_id": ids[n],
                "member_id": member.id,
                "state": "active",
                "desired": "active",
                "password": "x",
                "created_at": long_ago,
            }
            for n in names
        ],
    )
    db.session.commit()


def measure(webspaces: int, offset: int, start) -> tuple[float, int]:
    from panel import create_app
    from panel.core.migrate import upgrade
    from panel.extensions import db
    from panel.metering import ledger
    from panel.metering.models import UsageRecord

    folder = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    names = webspace_names(webspaces, offset)
    write_samples(folder, names, start.timestamp())
    server = PrometheusServer(folder).start()
    url = f"sqlite:///{folder / 'panel.db'}"
    try:
        upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "INSTANCE_PATH": str(folder / "instance"),
                "SECRET_KEY": "bench",
                "PROMETHEUS_URL": server.url,
                "METERING_INTERVAL": INTERVAL,
            }
        )
        with app.app_context():
            make_resources(names)
            began = time.perf_counter()
            run = ledger.collect(start, start + timedelta(seconds=INTERVAL))
            elapsed = time.perf_counter() - began
            assert run.status == "complete", run.error
            rows = db.session.scalar(select(func.count()).select_from(UsageRecord))
            db.engine.dispose()
    finally:
        server.stop()
        # 100,000 series take some gigabytes of samples.
        shutil.rmtree(folder, ignore_errors=True)
    return elapsed, rows


def main() -> int:
    from panel.core.models import utcnow
    from panel.metering.ledger import align

    start = align(utcnow() - timedelta(hours=3), INTERVAL)
    measured = [(webspaces * 5, *measure(webspaces, 0, start)) for webspaces in RUNS]
    baseline = measured[0][1]
    for series, seconds, rows in measured:
        print(
            f"ledger, 1 hour, {series:,} series ({rows:,} rows): {seconds:.2f} s, "
            f"ratio {seconds / baseline:.1f} (linear: {series / measured[0][0]:.0f})"
        )
    at_target = next(seconds for series, seconds, _ in measured if series == TARGET_SERIES)
    verdict = "met" if at_target < TARGET_SECONDS else "MISSED"
    print(
        f"{TARGET_SERIES:,} series: {at_target:.2f} s (target < {TARGET_SECONDS:.0f} s: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
