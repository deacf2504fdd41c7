"""Benchmark: job throughput of the engine as production runs it, PostgreSQL and Huey on Redis.

200 `ping.yml` jobs queued at once over 20 testbed hosts (10 per host) and taken by one
`panel worker` with 4 worker threads; baseline in the same process: 20 jobs, one per host.
Prints jobs per minute of both, checks that no job was lost (each ends `successful`) and that
each host ran its jobs one after another (no two of a host overlap), and the queue's hand-over
latency: from the API call to the job's start with idle workers (median of 10 single jobs).

Run as root (the testbed needs it), with PostgreSQL and Redis on loopback:
`PANEL_TESTBED_LANE=8 .venv/bin/python -m tests.bench.bench_job_throughput`
(PANEL_BENCH_POSTGRES_URL, PANEL_BENCH_REDIS_URL: else the local servers; the Redis database
given, 13 by default, is emptied first: use one nothing else uses).
"""

import itertools
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict

from panel_testbed import PREFIX
from tests.bench.support import bench_panel
from tests.scratch_databases import fresh_postgres

HOSTS = 20
JOBS = 200
WORKERS = 4
SINGLE_RUNS = 10
DEADLINE = 900
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379/13"


def queue_jobs(client, hosts: list[str]) -> list[int]:
    """One ping job per entry of HOSTS through the API, as fast as the API takes them."""
    ids = []
    for host in hosts:
        answer = client.post("/api/v1/jobs", json={"action": "ping", "hosts": [host]})
        assert answer.status_code == 202, answer.get_json()
        ids.append(answer.get_json()["id"])
    return ids


def finished(app, ids: list[int]) -> list:
    """The jobs once none is queued or running (polled, with a deadline)."""
    from sqlalchemy import select

    from panel.extensions import db
    from panel.provisioning.models import Job

    deadline = time.monotonic() + DEADLINE
    with app.app_context():
        while time.monotonic() < deadline:
            jobs = db.session.scalars(select(Job).where(Job.id.in_(ids))).all()
            if all(job.finished_at is not None for job in jobs):
                db.session.expunge_all()
                return jobs
            db.session.rollback()
            time.sleep(0.1)
    raise RuntimeError(f"jobs still unfinished after {DEADLINE} s")


def overlaps(jobs: list) -> list[str]:
    """Hosts on which two jobs ran at the same time."""
    by_host = defaultdict(list)
    for job in jobs:
        by_host[job.hosts[0]].append((job.started_at, job.finished_at))
    found = []
    for host, spans in by_host.items():
        spans.sort()
        if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans)):
            found.append(host)
    return found


def run_batch(app, client, hosts: list[str]) -> tuple[float, list]:
    """Jobs per minute for one job per entry of HOSTS, and the jobs."""
    started = time.monotonic()
    jobs = finished(app, queue_jobs(client, hosts))
    elapsed = time.monotonic() - started
    lost = [job.id for job in jobs if job.status != "successful"]
    assert not lost, (
        f"jobs not successful: {[(j.id, j.status, j.reason) for j in jobs if j.id in lost]}"
    )
    assert not overlaps(jobs), f"hosts ran jobs at once: {overlaps(jobs)}"
    return len(jobs) / elapsed * 60, jobs


def hand_over(app, client, host: str) -> float:
    """Seconds from the API call to the job's start, workers idle."""
    job = finished(app, queue_jobs(client, [host]))[0]
    assert job.status == "successful", job.reason
    return (job.started_at - job.queued_at).total_seconds()


def main() -> None:
    postgres = os.environ.get("PANEL_BENCH_POSTGRES_URL", LOCAL_POSTGRES)
    redis_url = os.environ.get("PANEL_BENCH_REDIS_URL", LOCAL_REDIS)
    subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=True, capture_output=True)
    url, drop = fresh_postgres(postgres, "panel_bench_jobs")
    extra = {"PANEL_DATABASE_URL": url, "PANEL_REDIS_URL": redis_url}
    try:
        with bench_panel(HOSTS, extra, worker_threads=WORKERS) as (_, app):
            from panel.accounts.operations import create_api_token, find_user_by_email
            from panel.core.audit import acting

            with app.app_context(), acting("cli"):
                _, token = create_api_token(find_user_by_email("admin@example.org"), "bench")
            client = app.test_client()
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
            hosts = [f"{PREFIX}{number}" for number in range(1, HOSTS + 1)]
            hand_over(app, client, hosts[0])  # warms the host's SSH and the worker
            latencies = [hand_over(app, client, hosts[n % HOSTS]) for n in range(SINGLE_RUNS)]
            baseline, _ = run_batch(app, client, hosts)
            rate, jobs = run_batch(app, client, hosts * (JOBS // HOSTS))
    finally:
        drop()
    waits = [(job.started_at - job.queued_at).total_seconds() for job in jobs]
    print(f"{HOSTS} testbed hosts, one worker with {WORKERS} threads, Huey on Redis, PostgreSQL")
    print(f"hand-over latency, idle workers: median {statistics.median(latencies) * 1000:.0f} ms")
    print(f"  of {SINGLE_RUNS} (API call to the job's start)")
    print(f"baseline, {HOSTS} jobs (one per host): {baseline:.0f} jobs/min")
    print(
        f"{len(jobs)} jobs ({JOBS // HOSTS} per host): {rate:.0f} jobs/min,"
        f" ratio {rate / baseline:.2f}"
    )
    print(
        f"  all successful, no host ran two at once; longest wait in the queue {max(waits):.0f} s"
    )


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("the benchmark boots testbed hosts and needs root")
    main()
