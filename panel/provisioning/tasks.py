"""The worker side: the queue task that runs a job in a child process, and the reaper.

Each job runs in a process of its own, forked by the worker's job launcher, that ends with its
playbook's processes when the worker ends (launcher.py), so killing a worker also ends its
playbooks instead of leaving them running unseen; their jobs then stop sending heartbeats and the
reaper marks them lost."""

import os
import signal
import socket
import threading
from datetime import timedelta

from flask import Flask, current_app
from huey import Huey
from sqlalchemy import select

from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db
from panel.provisioning import folders
from panel.provisioning.launcher import Launcher
from panel.provisioning.models import Job, JobStatus
from panel.provisioning.operations import enqueue, finish_job
from panel.provisioning.processes import end_tree

LOCKED_EXIT = 75
LOCK_RETRY_SECONDS = 0.5


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def register(huey: Huey, app: Flask):
    @huey.task(name="panel.run_job")
    def run_job(job_id: int) -> None:
        code = app.extensions["job_launcher"].run(job_id)
        if code == LOCKED_EXIT:
            # Another job holds one of the hosts: try again shortly, without blocking a thread.
            run_job.schedule((job_id,), delay=LOCK_RETRY_SECONDS)
        elif code != 0:
            reason = (
                "the worker's job launcher has gone"
                if code is None
                else f"the job process ended with exit code {code}"
            )
            with app.app_context(), acting("worker"):
                end_broken_job(job_id, reason)

    return run_job


def job_launcher(app: Flask) -> Launcher:
    """The process's job launcher (see launcher.py), started on the first call, which must come
    before the process starts threads. It loads once what every job process needs: the runner
    module (with ansible-runner) and the panel's decrypted key, instead of paying for both per
    job."""
    if "job_launcher" not in app.extensions:
        from panel.provisioning import runner

        with app.app_context():
            runner.panel_key_pem()
        worker = worker_id()
        launcher = Launcher(lambda job_id: _job_process(app, job_id, worker))
        launcher.start()
        app.extensions["job_launcher"] = launcher
    return app.extensions["job_launcher"]


def _job_process(app: Flask, job_id: int, worker: str) -> int:
    signal.signal(signal.SIGTERM, lambda *_: _end_with_playbook(app, job_id))
    # Here and in job_launcher, not at the top: the web process never loads ansible-runner.
    from panel.provisioning.runner import Outcome, run_job

    with app.app_context():
        # The launcher's copies of the worker's pooled connections belong to the worker.
        db.engine.dispose(close=False)
        with acting("worker"):
            outcome = run_job(job_id, worker)
    return LOCKED_EXIT if outcome == Outcome.LOCKED else 0


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
