"""Registering testbed hosts in the panel, pinned to the keys `up` generated for them, and set up
as any host is (the setup job: baseline, agent, node_exporter) before they count as ready."""

import threading
import time
from collections.abc import Callable

from flask import current_app
from sqlalchemy import select

from panel.core.audit import acting
from panel.extensions import db
from panel.hosts import operations
from panel.hosts.models import Host, HostRole, HostState
from panel.provisioning.launcher import Launcher
from panel.provisioning.models import Job, JobStatus
from panel.provisioning.tasks import LOCK_RETRY_SECONDS, LOCKED_EXIT, job_launcher
from panel_testbed import TestbedError
from panel_testbed import state as saved


def register_hosts(
    state: saved.State,
    report: Callable[[str], None],
    role: str = HostRole.WEBSPACE.value,
    setup: bool = True,
) -> None:
    """Add each host with ROLE (or re-pin a host of an earlier testbed whose name it reuses, and
    give it ROLE), then run the setup jobs onboarding queued here, without waiting for a worker
    (`make run` starts its worker only afterwards), until every host is ready. SETUP false
    leaves the setup out and makes the hosts ready at once, unmonitored: for tests that need no
    agent."""
    queued_before = _setup_jobs()
    with acting("cli"):
        for booted in state.hosts:
            host = db.session.scalar(select(Host).where(Host.name == booted.name))
            if host is None:
                host = operations.add_host(
                    booted.name,
                    booted.address,
                    fingerprint=booted.fingerprint,
                    ssh_port=booted.ssh_port,
                    role=role,
                    groups=["testbed"],
                    baseline=setup,
                )
            elif host.fingerprint != booted.fingerprint or host.state != HostState.READY:
                host = operations.repin_host(host, booted.fingerprint, baseline=setup)
            if host.role != role:
                host = operations.update_host(host, {"role": role})
            report(f"registered {host.name} ({host.role}): {host.state} {host.fingerprint}")
    if setup:
        _run_setup(sorted(_setup_jobs() - queued_before), report)


def _setup_jobs() -> set[int]:
    return set(db.session.scalars(select(Job.id).where(Job.action == "setup")))


def _run(launcher: Launcher, job_id: int, timeout: float = 60.0) -> None:
    """Run the job; while its host or the database is busy, again shortly, as the worker does."""
    deadline = time.monotonic() + timeout
    while launcher.run(job_id) == LOCKED_EXIT and time.monotonic() < deadline:
        time.sleep(LOCK_RETRY_SECONDS)


def _run_setup(job_ids: list[int], report: Callable[[str], None]) -> None:
    """Each job in a process of its own, as the worker runs it, all hosts at once; a worker
    that finds one of them later skips it, since it is no longer queued."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # A read transaction left open here would keep SQLite from taking the jobs' writes.
    db.session.close()
    launcher = job_launcher(app)
    started = time.monotonic()
    threads = [
        threading.Thread(target=_run, args=(launcher, job_id), name=f"setup-{job_id}")
        for job_id in job_ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    failed = []
    for job_id in job_ids:
        job = db.session.get(Job, job_id)
        if job.status != JobStatus.SUCCESSFUL:
            failed.append(
                f"setup job {job.id} on {', '.join(job.hosts)}: {job.status} {job.reason}"
            )
            continue
        report(f"set up {', '.join(job.hosts)} in {job.duration:.1f} s: ready")
    if failed:
        raise TestbedError("\n".join(failed))
    report(f"setup of {len(job_ids)} host(s) took {time.monotonic() - started:.1f} s")
