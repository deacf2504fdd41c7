"""A throwaway panel for benchmarks: its own instance folder, database, testbed and worker."""

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tests.testbed_lock import machine_lock

ROOT = Path(__file__).resolve().parents[2]
PANEL = [sys.executable, "-m", "panel.cli"]


def median_of(runs: int, measure) -> float:
    return statistics.median(measure() for _ in range(runs))


@contextmanager
def bench_panel(
    hosts: int, extra_env: dict | None = None, suite: str = "", worker_threads: int = 4
):
    """Yields (env, app) with `hosts` testbed hosts (of Debian SUITE, else the testbed's
    default) registered and a worker of WORKER_THREADS threads running."""
    folder = Path(tempfile.mkdtemp(prefix="panel-bench-"))
    inherited = {key: value for key, value in os.environ.items() if key != "PANEL_REDIS_URL"}
    env = {
        **inherited,
        "PANEL_INSTANCE": str(folder),
        "PANEL_DATABASE_URL": f"sqlite:///{folder / 'panel.db'}",
        **(extra_env or {}),
    }
    worker = None
    with machine_lock(), _cleaned_up(folder, env, lambda: worker):
        subprocess.run([*PANEL, "init"], env=env, check=True, capture_output=True)
        subprocess.run(
            [
                *PANEL,
                "testbed",
                "up",
                "--hosts",
                str(hosts),
                *(["--suite", suite] if suite else []),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        worker = subprocess.Popen(
            [*PANEL, "worker", "--workers", str(worker_threads)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # This process's app queues the jobs: on the worker's queue (Redis when given).
        os.environ.pop("PANEL_REDIS_URL", None)
        os.environ.update(
            {
                key: env[key]
                for key in ("PANEL_INSTANCE", "PANEL_DATABASE_URL", "PANEL_REDIS_URL")
                if key in env
            }
        )
        from panel import create_app

        yield env, create_app()


def plain_inventory(app) -> Path:
    """The panel's inventory as a static file (what ansible-runner gets, pinned keys included),
    so the plain baseline pays nothing for building it."""
    from sqlalchemy import select

    from panel.extensions import db
    from panel.hosts.inventory import runner_inventory, write_instance_known_hosts
    from panel.hosts.models import Host

    with app.app_context():
        known_hosts = write_instance_known_hosts()
        hosts = list(db.session.scalars(select(Host)))
        path = Path(app.instance_path) / "inventory.json"
        path.write_text(json.dumps(runner_inventory(hosts, known_hosts)))
    return path


@contextmanager
def _cleaned_up(folder: Path, env: dict, worker):
    """Stop the worker (WORKER() gives it), take the testbed down, remove the folder."""
    try:
        yield
    finally:
        running = worker()
        if running is not None:
            running.send_signal(signal.SIGTERM)
            try:
                running.wait(timeout=20)
            except subprocess.TimeoutExpired:
                running.kill()
        subprocess.run([*PANEL, "testbed", "down"], env=env, check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
