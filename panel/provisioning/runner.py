"""Runs one job: takes its hosts' locks, claims it, runs the playbook with ansible-runner while
beating a heartbeat and watching for cancel, stores the events, and settles the outcome."""

import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import ansible_runner
from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from panel.core.audit import record
from panel.core.models import utcnow
from panel.core.sshkey import clear_key_pem
from panel.extensions import db
from panel.hosts.inventory import known_hosts_text, runner_inventory
from panel.hosts.models import Host
from panel.hosts.operations import mark_seen
from panel.provisioning.actions import ACTIONS
from panel.provisioning.folders import job_folder
from panel.provisioning.models import HostLock, Job, JobEvent, JobStatus
from panel.provisioning.operations import finish_job
from panel.provisioning.processes import end_tree

EVENT_BATCH = 50
EVENT_FLUSH_SECONDS = 0.5
STOP_POLL_SECONDS = 1
STDOUT_LIMIT = 8000
FAILURE_EVENTS = ("runner_on_failed", "runner_on_unreachable", "runner_item_on_failed")
STATS_KEYS = ("ok", "changed", "dark", "failures", "skipped", "ignored", "rescued", "processed")


class Outcome:
    DONE = "done"
    LOCKED = "locked"  # a host (or the database) is busy: try again shortly
    SKIPPED = "skipped"


def claim(job_id: int, worker_id: str) -> str:
    """Lock the job's hosts and mark it running, in one transaction; LOCKED if a host is busy."""
    job = db.session.get(Job, job_id)
    if job is None or job.status != JobStatus.QUEUED:
        return Outcome.SKIPPED
    try:
        for host in sorted(set(job.hosts)):
            db.session.add(HostLock(host=host, job_id=job.id))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return Outcome.LOCKED
    now = utcnow()
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, worker_id=worker_id, started_at=now, heartbeat_at=now)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return Outcome.SKIPPED
    record("job.running", job, after={"worker_id": worker_id}, member_id=job.member_id)
    db.session.commit()
    return Outcome.DONE


class Heartbeat(threading.Thread):
    """Writes the job's heartbeat, reads its cancel flag and writes events that wait for a
    batch, on connections of its own."""

    def __init__(self, job_id: int, interval: float, sink: "EventSink"):
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.job_id = job_id
        self.interval = interval
        self.sink = sink
        self.engine = db.engine
        # The thread runs outside the app context; the app's logger is kept for it.
        self.logger = current_app.logger
        self.cancel = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        next_beat = time.monotonic() + self.interval
        # The last events before a long task would otherwise wait until the task ends.
        while not self.stop.wait(min(self.interval, EVENT_FLUSH_SECONDS)):
            # A database hiccup must not end the heartbeat: the job would be reaped as lost
            # while its playbook still runs.
            try:
                self.sink.flush(older_than=EVENT_FLUSH_SECONDS)
                if time.monotonic() >= next_beat:
                    self.beat()
                    next_beat = time.monotonic() + self.interval
            except Exception:
                self.logger.exception("heartbeat of job %s failed", self.job_id)

    def beat(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(Job).where(Job.id == self.job_id).values(heartbeat_at=utcnow())
            )
            if connection.scalar(select(Job.cancel_requested).where(Job.id == self.job_id)):
                self.cancel.set()


class Stopper:
    """ansible-runner's cancel callback: ends the playbook's whole process tree (see
    processes.py) once the job is canceled or out of time."""

    def __init__(self, heartbeat: Heartbeat, timeout: float):
        self.heartbeat = heartbeat
        self.deadline = time.monotonic() + timeout
        self.timed_out = False

    def __call__(self) -> bool:
        canceled = self.heartbeat.cancel.is_set()
        self.timed_out = not canceled and time.monotonic() > self.deadline
        if canceled or self.timed_out:
            end_tree(os.getpid())
            return True
        return False


class EventSink:
    """Collects ansible-runner events and writes them in batches."""

    def __init__(self, job_id: int, secrets: list[str]):
        self.job_id = job_id
        self.secrets = [value for value in secrets if value]
        self.pending: list[dict] = []
        self.failures: list[str] = []
        # ansible-runner reads its stats back from the job folder, where the events are not kept.
        self.stats: dict = {}
        self.last_flush = time.monotonic()
        self.engine = db.engine
        self.logger = current_app.logger
        self.lock = threading.Lock()

    def __call__(self, event: dict) -> bool:
        data = event.get("event_data") or {}
        result = data.get("res") or {}
        name = event.get("event", "")
        failed = name in FAILURE_EVENTS and not data.get("ignore_errors")
        if name == "playbook_on_stats":
            self.stats = {key: dict(data.get(key) or {}) for key in STATS_KEYS}
            # What the playbook reports with set_stats (a webspace's uid, a certificate's
            # expiry); playbooks never put secrets there.
            self.stats["data"] = dict(data.get("artifact_data") or {})
        if failed:
            message = result.get("msg") or result.get("stderr") or event.get("stdout") or name
            self.failures.append(self.scrub(f"{data.get('host', '?')}: {message}")[:500])
        if event.get("counter") is not None:
            row = {
                "job_id": self.job_id,
                "counter": event["counter"],
                "event": name[:64],
                "host": (data.get("host") or None) and str(data["host"])[:63],
                "task": (data.get("task") or None) and str(data["task"])[:255],
                "changed": bool(result.get("changed")) if isinstance(result, dict) else False,
                "failed": failed,
                "stdout": self.scrub(event.get("stdout") or "")[:STDOUT_LIMIT],
                "created_at": utcnow(),
            }
            with self.lock:
                self.pending.append(row)
        # A failed write keeps its events for the next one; raised here, it would end
        # ansible-runner without stopping the playbook.
        try:
            self.flush(older_than=0 if len(self.pending) >= EVENT_BATCH else EVENT_FLUSH_SECONDS)
        except Exception:
            self.logger.warning("events of job %s not written yet", self.job_id, exc_info=True)
        # The events live in the database; nothing needs to stay in the job folder.
        return False

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "********")
        return text

    def flush(self, older_than: float = 0) -> None:
        """Write the waiting events, or only when the last write is OLDER_THAN seconds ago."""
        with self.lock:
            if not self.pending or time.monotonic() - self.last_flush < older_than:
                return
            rows, self.pending = self.pending, []
            self.last_flush = time.monotonic()
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(JobEvent), rows)
        except Exception:
            with self.lock:
                self.pending[:0] = rows
            raise


def secret_values(secrets: dict) -> list[str]:
    """Every value in SECRETS, also those nested in mappings and lists (one token per host), as
    the text an event may show."""
    found: list[str] = []
    pending: list = list(secrets.values())
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend(value)
        elif value is not None and value != "":
            found.append(str(value))
    return found


def panel_key_pem() -> str:
    """The panel's private key in clear, for the ssh-agent ansible-runner starts per job. A
    worker decrypts it once (see tasks.job_launcher) and its forked job processes inherit the
    result."""
    return clear_key_pem(Path(current_app.instance_path), current_app.config["SECRET_KEY"])


def run_job(job_id: int, worker_id: str) -> str:
    try:
        outcome = claim(job_id, worker_id)
    except OperationalError:
        # SQLite's write lock busy past its timeout on a loaded machine, or a lost connection:
        # the job stays queued, so it is tried again shortly, like one whose host is busy.
        current_app.logger.warning("job %s could not be claimed", job_id, exc_info=True)
        db.session.rollback()
        return Outcome.LOCKED
    if outcome != Outcome.DONE:
        return outcome
    job = db.session.get(Job, job_id)
    secrets = json.loads(job.secret_vars) if job.secret_vars else {}
    definition = ACTIONS.get(job.action)
    if definition is not None and definition.secrets is not None:
        secrets |= definition.secrets(list(job.hosts))
    db.session.commit()
    sink = EventSink(job_id, secret_values(secrets))
    heartbeat = Heartbeat(job_id, current_app.config["JOB_HEARTBEAT"], sink)
    folder = job_folder(job_id)
    heartbeat.start()
    try:
        result = execute(job, folder, secrets, sink, heartbeat)
    except Exception as exc:  # the job must end in a state, whatever broke
        current_app.logger.exception("job %s broke", job_id)
        # ansible-runner does not stop the playbook when it fails itself.
        end_tree(os.getpid())
        result = (JobStatus.FAILED, f"the worker could not run the playbook: {exc}", None, None)
    finally:
        heartbeat.stop.set()
        heartbeat.join()
        shutil.rmtree(folder, ignore_errors=True)
        sink.flush()
    settle(job_id, *result, sink.failures)
    return Outcome.DONE


def ansible_env(playbooks: Path) -> dict:
    """The environment of a job's ansible-playbook."""
    env = {
        "ANSIBLE_CONFIG": str(playbooks / "ansible.cfg"),
        # ansible-runner turns host key checking off unless told otherwise; it stays on.
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        # ansible-playbook lives next to the Python that runs the panel (its virtualenv).
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    strategy = current_app.config["ANSIBLE_STRATEGY"]
    if strategy:
        env["ANSIBLE_STRATEGY"] = strategy
    return env


def execute(job: Job, folder: Path, secrets: dict, sink: EventSink, heartbeat: Heartbeat):
    hosts = db.session.scalars(select(Host).where(Host.name.in_(job.hosts))).all()
    missing = sorted(set(job.hosts) - {host.name for host in hosts})
    if missing:
        return JobStatus.FAILED, f"unknown hosts: {', '.join(missing)}", None, None
    known_hosts = folder / "known_hosts"
    known_hosts.write_text(known_hosts_text(list(hosts)))
    if secrets:
        (folder / "env").mkdir(mode=0o700)
        descriptor = os.open(folder / "env" / "extravars", os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(secrets, handle)
    playbooks = Path(current_app.config["PLAYBOOKS_DIR"])
    job_timeout = job.timeout
    stopper = Stopper(heartbeat, job_timeout)
    arguments = {
        "private_data_dir": str(folder),
        "project_dir": str(playbooks),
        "playbook": job.playbook,
        "inventory": runner_inventory(list(hosts), known_hosts),
        "extravars": dict(job.extra_vars) or None,
        # ansible-runner turns host key checking off unless told otherwise; it stays on.
        "envvars": ansible_env(playbooks),
        "event_handler": sink,
        "cancel_callback": stopper,
        # How often ansible-runner asks the callback while a long task prints nothing.
        "settings": {"pexpect_timeout": STOP_POLL_SECONDS},
        "ident": f"job{job.id}",
        "quiet": True,
    }
    definition = ACTIONS.get(job.action)
    if definition is not None and definition.check:
        arguments["cmdline"] = "--check --diff"
    # No transaction may stay open while the key is decrypted (bcrypt: a second on a busy
    # machine) or the playbook runs: it would hold SQLite's write lock (and leave PostgreSQL
    # idle in transaction) for minutes.
    db.session.rollback()
    arguments["ssh_key"] = panel_key_pem()
    runner = ansible_runner.run(**arguments)
    stats = sink.stats
    if runner.status == "successful":
        return JobStatus.SUCCESSFUL, "", runner.rc, stats
    if runner.status == "canceled" and stopper.timed_out:
        return JobStatus.FAILED, f"timed out after {job_timeout} s", runner.rc, stats
    if runner.status == "canceled":
        return JobStatus.CANCELED, "canceled while running", runner.rc, stats
    return JobStatus.FAILED, "", runner.rc, stats


def settle(job_id: int, status: JobStatus, reason: str, rc, stats, failures: list[str]) -> None:
    job = db.session.get(Job, job_id, populate_existing=True)
    unreachable = set((stats or {}).get("dark") or {})
    reached = set((stats or {}).get("processed") or {}) | unreachable
    missed = sorted(set(job.hosts) - reached)
    if status == JobStatus.SUCCESSFUL and missed:
        # Ansible calls a play that matched no host a success; the job named these hosts.
        status, reason = JobStatus.FAILED, f"the playbook did not run on: {', '.join(missed)}"
    if status == JobStatus.FAILED and not reason:
        reason = "; ".join(failures[:5]) or f"ansible-playbook exited with {rc}"
        if unreachable:
            reason = f"unreachable: {', '.join(sorted(unreachable))}: {reason}"
    for host in sorted(reached.intersection(job.hosts)):
        mark_seen(host, host not in unreachable, reason if host in unreachable else "")
    finish_job(job, status, reason=reason, rc=rc, stats=stats)
    db.session.commit()
