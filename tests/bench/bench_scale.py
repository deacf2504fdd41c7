"""Benchmark: the panel at the size of a large cooperative, under load.

Seeds a fresh PostgreSQL database through the models (5,000 members with a share each, 10 hosts,
10,000 webspaces, 20,000 domains, 10,000 jobs, and 30 days of hourly usage of five meters for
1,000 webspaces: 3.6 M ledger rows; `--ledger-scale 10` for 36 M), starts `panel web --workers 2`
on it, and drives each page and API call an admin or a member uses with wrk (Debian's package:
8 connections, 2 threads), after checking that it answers 200 to that login. Prints requests per
second, p99, and the ratio of the throughput to /healthz's in the same run.

Goal (issue 18): every row p99 < 50 ms and at least 0.5 of /healthz's throughput.

Run: `.venv/bin/python -m tests.bench.bench_scale` (PANEL_BENCH_POSTGRES_URL, else the local
PostgreSQL on 127.0.0.1:5432). `--keep` keeps the seeded database and prints its URL; `--url`
runs against such a database again without seeding it; `--only TEXT` drives only the rows whose
name contains TEXT (and /healthz, the baseline).
"""

import argparse
import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyotp
import requests
from sqlalchemy import Integer, String, column, func, insert, literal, select, text, true, values

from tests.bench.support import ROOT
from tests.ledger_rows import UNITS
from tests.scratch_databases import fresh_postgres

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MEMBERS = 5_000
HOSTS = 10
WEBSPACES_PER_MEMBER = 2
DOMAINS_PER_WEBSPACE = 2
METERED_WEBSPACES = 1_000
DAYS = 30
METERS = ("traffic", "requests", "cpu", "disk", "database_disk")
LEDGER_BATCH = 500
ADMIN_EMAIL = "admin@bench.example"
MEMBER_EMAIL = "member@bench.example"
PASSWORD = "bench-password-4711"  # nosec B105  # a throwaway bench login
SECRET_KEY = "bench-scale"  # nosec B105
START_TIMEOUT = 60
CONNECTIONS = 8
P99_TARGET_MS = 50
SETTLED_MS = 20
SETTLE_TIMEOUT = 120
RATIO_TARGET = 0.5


def prefix(number: int) -> str:
    return "".join(chr(97 + (number // 26**i) % 26) for i in (2, 1, 0))


def seed(url: str, ledger_scale: int) -> dict:
    """The data set, through the models; returns the logins' secrets and the ids the member's
    rows need."""
    from panel import create_app
    from panel.accounts.models import User
    from panel.accounts.operations import create_api_token, create_user, enable_totp
    from panel.coop.models import Member, ShareTransaction
    from panel.core.audit import acting
    from panel.core.migrate import upgrade
    from panel.extensions import db
    from panel.hosts.models import Host
    from panel.provisioning.models import Job
    from panel.webspaces.models import Domain, Webspace

    upgrade(url)
    folder = Path(tempfile.mkdtemp(prefix="panel-bench-seed-"))
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": SECRET_KEY})
    joined = date.today() - timedelta(days=400)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with app.app_context(), acting("cli"):
        hosts = [
            Host(
                name=f"web{n + 1}",
                address=f"198.18.1.{n + 2}",
                state="ready",
                host_key="x",
                fingerprint="y",
                capacity=2_000,
            )
            for n in range(HOSTS)
        ]
        db.session.add_all(hosts)
        db.session.flush()
        db.session.execute(
            insert(Member),
            [
                {
                    "number": f"{n + 1:05d}",
                    "prefix": prefix(n),
                    "kind": "natural",
                    "name": f"Member {n + 1}",
                    "email": f"{prefix(n)}@bench.example",
                    "status": "active",
                    "applied_on": joined,
                    "admitted_on": joined,
                    "share_count": 1,
                }
                for n in range(MEMBERS)
            ],
        )
        members = dict(db.session.execute(select(Member.prefix, Member.id)).all())
        db.session.execute(
            insert(ShareTransaction),
            [
                {"member_id": member_id, "kind": "subscription", "count": 1, "value_date": joined}
                for member_id in members.values()
            ],
        )
        spaces = [
            (prefix(n), members[prefix(n)], f"{prefix(n)}{k:02d}", hosts[(n + k) % HOSTS])
            for n in range(MEMBERS)
            for k in range(WEBSPACES_PER_MEMBER)
        ]
        db.session.execute(
            insert(Job),
            [
                {
                    "action": "webspace.create",
                    "playbook": "webspace.yml",
                    "resource_type": "webspace",
                    "member_id": member_id,
                    "hosts": [host.name],
                    "status": "successful",
                    "rc": 0,
                    "queued_at": now - timedelta(days=30),
                    "started_at": now - timedelta(days=30),
                    "finished_at": now - timedelta(days=30) + timedelta(seconds=5),
                }
                for _, member_id, _, host in spaces
            ],
        )
        jobs = db.session.scalars(select(Job.id).order_by(Job.id)).all()
        db.session.execute(
            insert(Webspace),
            [
                {
                    "name": name,
                    "member_id": member_id,
                    "host_id": host.id,
                    "state": "active",
                    "max_domains": 10,
                    "max_databases": 5,
                    "max_users": 5,
                    "quota_mib": 1024,
                    "last_job_id": job_id,
                }
                for (_, member_id, name, host), job_id in zip(spaces, jobs, strict=True)
            ],
        )
        webspaces = db.session.execute(
            select(Webspace.id, Webspace.name, Webspace.member_id).order_by(Webspace.id)
        ).all()
        db.session.execute(
            text(
                "UPDATE jobs SET resource_id = webspaces.id FROM webspaces"
                " WHERE webspaces.last_job_id = jobs.id"
            )
        )
        db.session.execute(
            insert(Domain),
            [
                {
                    "webspace_id": space_id,
                    "member_id": member_id,
                    "name": f"site{k}-{name}.bench.example",
                    "document_root": f"domains/site{k}-{name}.bench.example/htdocs",
                    "verification_token": secrets.token_hex(16),
                    "verified_at": now,
                    "tls_not_after": now + timedelta(days=60),
                    "state": "active",
                }
                for space_id, name, member_id in webspaces
                for k in range(DOMAINS_PER_WEBSPACE)
            ],
        )
        db.session.commit()
        metered = webspaces[: METERED_WEBSPACES * ledger_scale]
        _seed_ledger(db, [space_id for space_id, _, _ in metered], now)

        admin = create_user(ADMIN_EMAIL, "admin", password=PASSWORD)
        admin_secret = pyotp.random_base32()
        enable_totp(admin, admin_secret, pyotp.TOTP(admin_secret).at(time.time() - 30))
        member_id = webspaces[0].member_id
        member = create_user(MEMBER_EMAIL, "member", password=PASSWORD, member_id=member_id)
        _, admin_token = create_api_token(admin, "bench")
        _, member_token = create_api_token(member, "bench")
        own = db.session.scalars(
            select(Webspace.id).where(Webspace.member_id == member_id).order_by(Webspace.id)
        ).first()
        assert db.session.get(User, member.id).member_id == member_id
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "admin_secret": admin_secret,
        "admin_token": admin_token,
        "member_token": member_token,
        "webspace_id": own,
        "member_id": member_id,
    }


def _seed_ledger(db, webspace_ids: list[int], now: datetime) -> None:
    """DAYS of hourly rows of every meter for each of the webspaces, and the fleet's totals of
    each period, made by PostgreSQL from the model's table in batches of webspaces: 36 M rows
    sent through the driver took hours."""
    from panel.core.models import UTCDateTime
    from panel.metering.ledger import totals_of_rows
    from panel.metering.models import UsageRecord
    from panel.webspaces.models import Webspace

    hour = func.generate_series(0, DAYS * 24 - 1).table_valued("value").render_derived("hour")
    meter = values(
        column("number", Integer), column("metric", String), column("unit", String), name="meter"
    ).data([(number, name, UNITS[name]) for number, name in enumerate(METERS)])
    start = literal(now - timedelta(days=DAYS), UTCDateTime) + hour.c.value * literal(
        timedelta(hours=1)
    )
    quantity = (Webspace.id * 7 + hour.c.value * 13 + meter.c.number) % 1_000 + 1
    columns = {
        "member_id": Webspace.member_id,
        "webspace_id": Webspace.id,
        "resource_type": literal("webspace"),
        "resource_id": Webspace.id,
        "resource_name": Webspace.name,
        "metric": meter.c.metric,
        "unit": meter.c.unit,
        "period_start": start,
        "period_end": start + literal(timedelta(hours=1)),
        "raw_start": literal(0),
        "raw_end": quantity,
        "quantity": quantity,
        "quality": literal("complete"),
        "samples": literal(240),
        "covered_seconds": literal(3600),
        "collected_at": literal(now, UTCDateTime),
    }
    for offset in range(0, len(webspace_ids), LEDGER_BATCH):
        rows = (
            select(*columns.values())
            .select_from(Webspace)
            .join(hour, true())
            .join(meter, true())
            .where(Webspace.id.in_(webspace_ids[offset : offset + LEDGER_BATCH]))
        )
        db.session.execute(insert(UsageRecord).from_select(list(columns), rows))
        db.session.commit()
        done = min(offset + LEDGER_BATCH, len(webspace_ids))
        print(f"ledger: {done:,} of {len(webspace_ids):,} webspaces", flush=True)
    db.session.execute(totals_of_rows())
    db.session.commit()
    vacuumed(db)


def vacuumed(db) -> None:
    """VACUUM ANALYZE, as autovacuum leaves a database in service: fresh statistics, and a
    visibility map and flushed GIN pending lists, without which the planner prices the
    searches' trigram indexes and the index-only scans too high (the search page read every
    domain: 20 ms instead of 0.5)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def served(url: str) -> Iterator[str]:
    """`panel web --workers 2` on the database; yields its base URL."""
    folder = Path(tempfile.mkdtemp(prefix="panel-bench-web-"))
    port = free_port()
    env = {
        **os.environ,
        "PANEL_DATABASE_URL": url,
        "PANEL_SECRET_KEY": SECRET_KEY,
        "PANEL_INSTANCE": str(folder),
    }
    log = (folder / "web.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "panel.cli", "web", "--workers", "2", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"panel web did not start:\n{(folder / 'web.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token on the form"
    return match.group(1)


def logged_in(base: str, email: str, totp_secret: str = "") -> str:
    """The Cookie header of a session that went through the login form (and its code)."""
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=10).text
    answer = browser.post(
        f"{base}/login",
        data={"csrf_token": csrf_of(page), "email": email, "password": PASSWORD},
        timeout=30,
    )
    if totp_secret:
        answer = browser.post(
            f"{base}/login/code",
            data={"csrf_token": csrf_of(answer.text), "code": pyotp.TOTP(totp_secret).now()},
            timeout=30,
        )
    assert answer.ok and "/login" not in answer.url, f"login as {email} failed: {answer.url}"
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


# What an admin and a member use: (name, path, who), {webspace} and {member} filled in from
# the seed; who is "anyone", "admin" or "member", through their API token or a page session.
ROWS = (
    ("/healthz", "/healthz", "anyone"),
    ("GET /api/v1/webspaces (admin)", "/api/v1/webspaces", "admin api"),
    ("GET /api/v1/usage (admin, no filter)", "/api/v1/usage", "admin api"),
    ("GET /api/v1/members (admin)", "/api/v1/members", "admin api"),
    ("GET /api/v1/jobs (admin)", "/api/v1/jobs", "admin api"),
    ("GET /api/v1/hosts (admin)", "/api/v1/hosts", "admin api"),
    ("GET /api/v1/audit (admin)", "/api/v1/audit", "admin api"),
    ("GET /api/v1/webspaces (member)", "/api/v1/webspaces", "member api"),
    ("GET /api/v1/webspaces/{id} (member)", "/api/v1/webspaces/{webspace}", "member api"),
    (
        "GET /api/v1/webspaces/{id}/domains (member)",
        "/api/v1/webspaces/{webspace}/domains",
        "member api",
    ),
    ("GET /api/v1/usage?webspace= (member)", "/api/v1/usage?webspace={webspace}", "member api"),
    ("GET /api/v1/jobs (member)", "/api/v1/jobs", "member api"),
    ("GET /api/v1/invoices (member)", "/api/v1/invoices", "member api"),
    ("/ dashboard (admin)", "/", "admin page"),
    ("/webspaces page (admin)", "/webspaces", "admin page"),
    ("/domains page (admin)", "/domains", "admin page"),
    ("/admin/members page", "/admin/members", "admin page"),
    ("/admin/members/{id} page", "/admin/members/{member}", "admin page"),
    ("/jobs page (admin)", "/jobs", "admin page"),
    ("/admin/hosts page", "/admin/hosts", "admin page"),
    ("/audit page (admin)", "/audit", "admin page"),
    ("/admin/usage page", "/admin/usage", "admin page"),
    ("/search?q= (admin)", "/search?q=site1-abc", "admin page"),
    ("/ dashboard (member)", "/", "member page"),
    ("/webspaces page (member)", "/webspaces", "member page"),
    ("/webspaces/{id} page (member)", "/webspaces/{webspace}", "member page"),
    ("/webspaces/{id}/usage page (member)", "/webspaces/{webspace}/usage", "member page"),
    ("/usage page (member)", "/usage", "member page"),
    ("/jobs page (member)", "/jobs", "member page"),
    ("/invoices page (member)", "/invoices", "member page"),
    ("/membership page (member)", "/membership", "member page"),
)


def filled(path: str, data: dict) -> str:
    return path.format(webspace=data["webspace_id"], member=data["member_id"])


def endpoints(base: str, data: dict) -> list[tuple[str, str, dict]]:
    """(name, path, headers) of ROWS, each after a check that it answers 200."""
    headers = {
        "anyone": {},
        "admin api": {"Authorization": f"Bearer {data['admin_token']}"},
        "member api": {"Authorization": f"Bearer {data['member_token']}"},
        "admin page": {"Cookie": logged_in(base, ADMIN_EMAIL, data["admin_secret"])},
        "member page": {"Cookie": logged_in(base, MEMBER_EMAIL)},
    }
    rows = [(name, filled(path, data), headers[who]) for name, path, who in ROWS]
    for name, path, given in rows:
        answer = requests.get(f"{base}{path}", headers=given, timeout=30, allow_redirects=False)
        assert answer.status_code == 200, f"{name}: {answer.status_code}"
    return rows


def drive(base: str, path: str, headers: dict, seconds: int) -> tuple[float, float]:
    """Requests per second and p99 in ms of wrk at CONNECTIONS connections; every answer must
    be 2xx."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, f"{base}{path}"], capture_output=True, text=True, check=True
    ).stdout
    assert "Non-2xx" not in output and "Socket errors" not in output, output
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return rps, p99


def settled(base: str) -> None:
    """Waits until requests a slow row left running have ended: /healthz answers within
    SETTLED_MS again (polled, with a deadline), so that no row pays for the one before."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        started = time.monotonic()
        requests.get(f"{base}/healthz", timeout=SETTLE_TIMEOUT)
        if (time.monotonic() - started) * 1000 < SETTLED_MS:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the panel stayed busy for {SETTLE_TIMEOUT} s after a row")


def postgres_url() -> str:
    return os.environ.get("PANEL_BENCH_POSTGRES_URL", LOCAL_POSTGRES)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a database this script seeded before (with --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    parser.add_argument("--ledger-scale", type=int, default=1, help="10 for 36 M ledger rows")
    parser.add_argument("--seconds", type=int, default=8, help="wrk's duration per row")
    parser.add_argument("--only", default="", help="drive only rows whose name contains this")
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        print("needs wrk: apt-get install wrk (make test-packages installs it)")
        return 1
    drop = None
    if arguments.url:
        url = arguments.url
        data = load_seed_answer(url)
    else:
        url, drop = fresh_postgres(postgres_url(), "panel_bench_scale")
        started = time.monotonic()
        data = seed(url, arguments.ledger_scale)
        _store_seed_answer(url, data)
        print(f"seeded in {time.monotonic() - started:.0f} s: {url}")
    try:
        with served(url) as base:
            rows = endpoints(base, data)
            baseline = None
            print(f"\nwrk -t2 -c{CONNECTIONS} -d{arguments.seconds}s, panel web --workers 2\n")
            print(f"| endpoint | rps (c={CONNECTIONS}) | p99 (c={CONNECTIONS}) | rps ÷ /healthz |")
            print("|---|---|---|---|")
            missed = []
            for name, path, headers in rows:
                if baseline is not None and arguments.only not in name:
                    continue
                settled(base)
                rps, p99 = drive(base, path, headers, arguments.seconds)
                baseline = baseline or rps
                ratio = rps / baseline
                if p99 >= P99_TARGET_MS or ratio < RATIO_TARGET:
                    missed.append(name)
                print(f"| {name} | {rps:,.0f} | {p99:.1f} ms | {ratio:.2f} |", flush=True)
            print(
                f"\nmissing p99 < {P99_TARGET_MS} ms or ratio >= {RATIO_TARGET}: {missed or 'none'}"
            )
    finally:
        if drop is not None and not arguments.keep:
            drop()
    return 0


def _store_seed_answer(url: str, data: dict) -> None:
    """The logins' secrets beside the kept database (a bench database holds nothing else)."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE bench_seed (key TEXT PRIMARY KEY, value TEXT)")
        connection.execute(
            text("INSERT INTO bench_seed VALUES (:key, :value)"),
            [{"key": key, "value": str(value)} for key, value in data.items()],
        )
    engine.dispose()


def load_seed_answer(url: str) -> dict:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT key, value FROM bench_seed")).all())
    engine.dispose()
    for key in ("webspace_id", "member_id"):
        stored[key] = int(stored[key])
    return stored


if __name__ == "__main__":
    sys.exit(main())
