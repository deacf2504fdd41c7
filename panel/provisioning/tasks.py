"""The worker side: the queue task that runs a job in a child process, and the reaper.

Each job runs in a forked child that ends, with its playbook's processes, when the worker thread
that started it dies (Linux PR_SET_PDEATHSIG), so killing a worker also ends its playbooks instead
of leaving them running unseen; their jobs then stop sending heartbeats and the reaper marks them
lost."""

import ctypes
import multiprocessing
import os
import signal
import socket
import sys
import threading
from datetime import timedelta

from flask import Flask, current_app
from huey import Huey
from sqlalchemy import select

from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db
from panel.provisioning import folders
from panel.provisioning.models import Job, JobStatus
from panel.provisioning.operations import enqueue, finish_job
from panel.provisioning.processes import end_tree

LOCKED_EXIT = 75
LOCK_RETRY_SECONDS = 0.5
PR_SET_PDEATHSIG = 1


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def register(huey: Huey, app: Flask):
    @huey.task(name="panel.run_job")
    def run_job(job_id: int) -> None:
        code = run_in_child(app, job_id)
        if code == LOCKED_EXIT:
            # Another job holds one of the hosts: try again shortly, without blocking a thread.
            run_job.schedule((job_id,), delay=LOCK_RETRY_SECONDS)
        elif code != 0:
            with app.app_context(), acting("worker"):
                end_broken_job(job_id, f"the job process ended with exit code {code}")

    return run_job


def warm_up(app: Flask) -> None:
    """Load once in the worker what every forked job process needs: the runner module (with
    ansible-runner) and the panel's decrypted key, instead of paying for both per job."""
    from panel.provisioning import runner

    with app.app_context():
        runner.panel_key_pem()


def run_in_child(app: Flask, job_id: int) -> int | None:
    # Daemonic: a worker that exits on SIGTERM (Huey's immediate stop) ends its jobs on the way
    # out instead of waiting for their playbooks; SIGINT still waits for them.
    process = multiprocessing.get_context("fork").Process(
        target=_child,
        args=(app, job_id, os.getpid(), worker_id()),
        name=f"panel-job-{job_id}",
        daemon=True,
    )
    process.start()
    process.join()
    return process.exitcode


def _child(app: Flask, job_id: int, parent: int, worker: str) -> None:
    signal.signal(signal.SIGTERM, lambda *_: _end_with_playbook(app, job_id))
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os._exit(1)
    # Here and in warm_up, not at the top: the web process never loads ansible-runner.
    from panel.provisioning.runner import Outcome, run_job

    with app.app_context():
        # The parent's pooled connections belong to the parent.
        db.engine.dispose(close=False)
        with acting("worker"):
            outcome = run_job(job_id, worker)
    sys.exit(LOCKED_EXIT if outcome == Outcome.LOCKED else 0)


def _end_with_playbook(app: Flask, job_id: int) -> None:
    """The worker is gone or stopping: the job's playbook ends too, at once, and so does its
    private folder; the reaper then marks the job lost."""
    end_tree(os.getpid())
    with app.app_context():
        folders.remove(job_id)
    os._exit(1)


def end_broken_job(job_id: int, reason: str) -> None:
    job = db.session.get(Job, job_id)
    if job is not None and finish_job(
        job, JobStatus.LOST, reason=reason, only_if=Job.status == JobStatus.RUNNING
    ):
        db.session.commit()


def reap() -> list[int]:
    """Running jobs whose worker stopped beating become lost; their resources fail, and what
    killed workers left of ended jobs on this machine is removed."""
    deadline = utcnow() - timedelta(seconds=current_app.config["JOB_LOST_AFTER"])
    stale = db.session.scalars(
        select(Job).where(Job.status == JobStatus.RUNNING, Job.heartbeat_at < deadline)
    ).all()
    reaped = []
    for job in stale:
        reason = (
            f"lost: worker {job.worker_id} sent no heartbeat since"
            f" {job.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC; retry to run it again"
        )
        if finish_job(
            job,
            JobStatus.LOST,
            reason=reason,
            only_if=(Job.status == JobStatus.RUNNING) & (Job.heartbeat_at < deadline),
        ):
            reaped.append(job.id)
        db.session.commit()
    folders.sweep()
    return reaped


def requeue_waiting() -> int:
    """Queue again every job still waiting, e.g. one queued while no worker ran."""
    ids = db.session.scalars(select(Job.id).where(Job.status == JobStatus.QUEUED)).all()
    for job_id in ids:
        enqueue(job_id)
    return len(ids)


class Reaper(threading.Thread):
    def __init__(self, app: Flask):
        super().__init__(name="reaper", daemon=True)
        self.app = app
        self.stop = threading.Event()

    def run(self) -> None:
        interval = min(self.app.config["JOB_HEARTBEAT"], 5)
        while not self.stop.wait(interval):
            with self.app.app_context(), acting("worker"):
                try:
                    reap()
                except Exception:  # a database hiccup must not stop the reaper for good
                    self.app.logger.exception("reaper pass failed")
