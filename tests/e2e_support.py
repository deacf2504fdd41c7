"""A live panel for the engine's end-to-end tests: an instance folder and database of its own,
a three-host testbed, a real `panel worker` subprocess, and a copy of the playbooks whose ping.yml
can be made slow per host."""

import configparser
import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
import redis
from flask import Flask
from flask.testing import FlaskClient
from polling import poll
from prometheus_support import PrometheusServer
from scratch_databases import fresh_postgres
from testbed_lock import machine_lock, torn_down_on_sigterm

from panel import create_app
from panel.accounts.operations import create_api_token, find_user_by_email
from panel.core.audit import acting
from panel.core.sshkey import key_passphrase, key_paths
from panel.extensions import db
from panel.metering import local_prometheus
from panel.provisioning import folders
from panel.provisioning.models import FINISHED
from panel_testbed import PREFIX
from panel_testbed import state as saved

REPO = Path(__file__).resolve().parents[1]
PANEL = [sys.executable, "-m", "panel.cli"]
HOST_COUNT = 3
ADMIN_EMAIL = "admin@example.org"
PASSWORD = "correct horse battery staple"
HEARTBEAT = 1
PR_SET_PDEATHSIG = 1
LOST_AFTER = 5
# Short enough that a cut host fails its job in seconds, long enough for a loaded machine: with
# mitogen it bounds the whole connection, the SSH handshake and starting Python and mitogen's
# core on the host, which took longer than 5 s on a loaded CI machine.
CONNECT_TIMEOUT = 15
# A command of the panel; `testbed up` may first build an image, some 3 minutes on a busy machine.
PANEL_TIMEOUT = 600
MARKER = "/var/tmp/panel-e2e-marker"  # on the testbed hosts

# The engine tests' own ping.yml: a change on the first run only (the marker file), then a wait
# of as many seconds as sleep/<host> in the playbooks folder says, read when the task runs.
PING_PLAYBOOK = f"""\
- name: Engine test ping
  hosts: all
  gather_facts: false
  vars:
    e2e_sleep: >-
      {{{{ lookup('ansible.builtin.file', playbook_dir ~ '/sleep/' ~ inventory_hostname,
      errors='ignore') | default('0', true) | int }}}}
  tasks:
    - name: Mark the host
      ansible.builtin.copy:
        content: "engine test\\n"
        dest: {MARKER}
        mode: "0644"

    - name: Wait
      ansible.builtin.command: sleep {{{{ e2e_sleep }}}}
      when: e2e_sleep | int > 0
      changed_when: false
"""


def testbed_on_machine() -> list[str]:
    """Network namespaces of a testbed, whoever made it."""
    result = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return [line.split()[0] for line in result.stdout.splitlines() if line.startswith(PREFIX)]


def processes_mentioning(text: str) -> dict[int, list[str]]:
    """PID and arguments of every process whose command line contains TEXT."""
    found = {}
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            arguments = path.read_bytes().decode(errors="replace").split("\0")[:-1]
        except OSError:
            continue
        if text in " ".join(arguments) and int(path.parent.name) != os.getpid():
            found[int(path.parent.name)] = arguments
    return found


@dataclass
class LivePanel:
    folder: Path
    queue: str
    env: dict[str, str]
    app: Flask
    playbooks: Path
    control_dir: Path
    token: str = ""
    hosts: dict[str, saved.Host] = field(default_factory=dict)
    worker: subprocess.Popen | None = None
    worker_logs: list[Path] = field(default_factory=list)

    # The panel's command line, in the live panel's environment.

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run_panel(self.env, self.folder, *args, check=check)

    # The worker.

    def start_worker(self) -> int:
        assert self.worker is None or self.worker.poll() is not None, "a worker is running"
        log = self.folder / f"worker-{len(self.worker_logs) + 1}.log"
        self.worker_logs.append(log)
        with log.open("wb") as handle:
            self.worker = subprocess.Popen(
                [*PANEL, "worker"],
                env=self.env,
                cwd=self.folder,
                stdout=handle,
                stderr=handle,
                preexec_fn=_die_with_parent,
            )
        poll(
            lambda: "worker starting" in log.read_text() or self.worker.poll() is not None,
            # A loaded machine (the plain suites beside the host lanes) takes its time to import.
            120,
            "the worker did not start",
        )
        assert self.worker.poll() is None, self.worker_log()
        return self.worker.pid

    def stop_worker(self) -> None:
        """SIGTERM, as systemd stops it; SIGKILL if it does not end in time."""
        if self.worker is None or self.worker.poll() is not None:
            return
        self.worker.send_signal(signal.SIGTERM)
        try:
            self.worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            self.worker.wait(timeout=10)

    def kill_worker(self) -> int:
        """kill -9 of the worker, by its PID; returns the PID."""
        assert self.worker is not None and self.worker.poll() is None
        pid = self.worker.pid
        os.kill(pid, signal.SIGKILL)
        self.worker.wait(timeout=10)
        return pid

    def reset(self) -> None:
        for host in self.hosts:
            self.set_sleep(host, 0)
        if self.worker is None or self.worker.poll() is not None:
            self.start_worker()
        client = self.client()
        for status in ("queued", "running"):
            for job in client.get(f"/api/v1/jobs?status={status}").json:
                client.post(f"/api/v1/jobs/{job['id']}/cancel")
                self.wait_for_job(job["id"], *FINISHED)

    def worker_log(self) -> str:
        return "".join(f"--- {log.name}\n{log.read_text()[-6000:]}" for log in self.worker_logs)

    # The API and the database.

    def client(self) -> FlaskClient:
        """A test client of the live app that sends the admin's bearer token."""
        client = self.app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        return client

    def run_job(self, action: str, hosts: list[str]) -> int:
        response = self.client().post("/api/v1/jobs", json={"action": action, "hosts": hosts})
        assert response.status_code == 202, response.get_data(as_text=True)
        return response.json["id"]

    def job(self, job_id: int) -> dict:
        response = self.client().get(f"/api/v1/jobs/{job_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json

    def wait_for_job(self, job_id: int, *statuses: str, timeout: float = 60) -> dict:
        """The job once it is in one of STATUSES; fails at once if it finishes otherwise."""
        latest: dict = {}

        def arrived():
            latest.update(self.job(job_id))
            if latest["status"] in statuses:
                return True
            assert latest["status"] not in FINISHED, self.describe(latest)
            return False

        try:
            poll(arrived, timeout, f"job {job_id} not {'/'.join(statuses)}", interval=0.2)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.describe(latest)}") from None
        return latest

    def describe(self, job: dict) -> str:
        events = [(e["event"], e["host"], e["task"]) for e in job.get("events", [])]
        return (
            f"job {job.get('id')} {job.get('status')}: {job.get('reason')!r}\n"
            f"stats: {job.get('stats')}\nevents: {events}\n{self.worker_log()}"
        )

    def job_folder(self, job_id: int) -> str | None:
        """The private folder of this panel's running job, by the name the worker gives it. Not
        by a process mentioning the job: another lane's panel numbers its jobs alike."""
        with self.app.app_context():
            found = list(folders.base().glob(f"{folders.prefix()}{job_id}-*"))
        return str(found[0]) if len(found) == 1 else None

    def read(self, query: Callable[[], object]):
        """QUERY's answer, run in an app context of its own so every read is fresh."""
        with self.app.app_context():
            try:
                return query()
            finally:
                db.session.rollback()

    # The testbed hosts.

    def set_sleep(self, host: str, seconds: int) -> None:
        """How long the test ping.yml waits on HOST from its next run on."""
        (self.playbooks / "sleep" / host).write_text(f"{seconds}\n")

    def on_host(self, host: str, command: str) -> tuple[int, str]:
        """Run COMMAND on a testbed host over SSH, its key checked against the testbed's own
        known_hosts (not the panel's database, which tests may change)."""
        booted = self.hosts[host]
        instance = self.folder / "instance"
        secret = (instance / "secret_key").read_text().strip()
        key = paramiko.Ed25519Key.from_private_key_file(
            str(key_paths(instance)[0]), password=key_passphrase(secret).decode()
        )
        client = paramiko.SSHClient()
        client.load_host_keys(str(instance / "testbed" / "known_hosts"))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect(
            booted.address,
            port=booted.ssh_port,
            username="root",
            pkey=key,
            allow_agent=False,
            look_for_keys=False,
            timeout=10,
        )
        try:
            _, stdout, _ = client.exec_command(command, timeout=30)
            output = stdout.read().decode(errors="replace")
            return stdout.channel.recv_exit_status(), output
        finally:
            client.close()

    def close_connections(self, host: str) -> None:
        """End Ansible's shared SSH connection (ControlPersist) to HOST, so that the next job
        opens a new one: with a host key check and a connect timeout."""
        self.control(host, "exit")
        poll(
            lambda: not self.control(host, "check"),
            10,
            f"the shared connection to {host} did not end",
        )

    def control(self, host: str, command: str) -> bool:
        """Send COMMAND to the shared connection's master; whether one answered."""
        booted = self.hosts[host]
        result = subprocess.run(
            [
                "ssh",
                "-o",
                f"ControlPath={self.control_dir}/%C",
                "-O",
                command,
                "-p",
                str(booted.ssh_port),
                f"root@{booted.address}",
            ],
            capture_output=True,
            check=False,
            timeout=10,
        )
        return result.returncode == 0


def run_panel(env: dict, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*PANEL, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=PANEL_TIMEOUT,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"panel {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def copy_playbooks(target: Path, control_dir: Path) -> Path:
    """The project's playbooks with the test ping.yml; Ansible's connect timeout lowered and its
    shared connections kept in a folder of this run. The agent goes next to them, where
    roles/agent looks for it, as in a deployed release."""
    source = Path(os.environ.get("PANEL_TEST_PLAYBOOKS_DIR") or REPO / "playbooks")
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".ansible", "__pycache__"))
    agents = target.parent / "agents"
    if not agents.exists():
        shutil.copytree(REPO / "agents", agents, ignore=shutil.ignore_patterns("__pycache__"))
    config = configparser.ConfigParser(interpolation=None)
    config.read(source / "ansible.cfg")
    config["defaults"]["timeout"] = str(CONNECT_TIMEOUT)
    config["ssh_connection"]["control_path_dir"] = str(control_dir)
    with (target / "ansible.cfg").open("w") as handle:
        config.write(handle)
    (target / "ping.yml").write_text(PING_PLAYBOOK)
    (target / "sleep").mkdir(exist_ok=True)
    return target


@contextlib.contextmanager
def live_panel(
    folder: Path,
    queue: str,
    hosts: int = HOST_COUNT,
    settings: dict | None = None,
    setup: bool = False,
    role: str = "webspace",
) -> Iterator[LivePanel]:
    """Everything a test needs, torn down again in reverse order whatever happens. SETTINGS are
    further PANEL_* settings (without the prefix) for the worker and the test's app. The hosts,
    registered with ROLE, are ready without their setup job (`testbed up --no-setup`: no agent,
    no firewall) unless SETUP is true."""
    with torn_down_on_sigterm(), machine_lock(), contextlib.ExitStack() as cleanup:
        running = testbed_on_machine()
        if running:
            raise AssertionError(f"a testbed is up on this machine already: {', '.join(running)}")
        wanted = os.environ.get("PANEL_TEST_DATABASE_URL", "")
        if wanted.startswith("postgresql"):
            database_url, drop = fresh_postgres(wanted, "panel_e2e")
            cleanup.callback(drop)
        else:
            database_url = f"sqlite:///{folder / 'panel.db'}"
        redis_url = None
        if queue == "redis":
            redis_url = os.environ.get("PANEL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
            # A throwaway database number: its keys are this run's alone.
            store = redis.Redis.from_url(redis_url)
            store.flushdb()
            cleanup.callback(store.close)
            cleanup.callback(store.flushdb)
        # Short: a Unix socket path holds at most 108 bytes and ssh adds a 40-character hash.
        control_dir = Path(tempfile.mkdtemp(prefix="pcp", dir="/tmp"))
        cleanup.callback(shutil.rmtree, control_dir, ignore_errors=True)
        playbooks = copy_playbooks(folder / "playbooks", control_dir)
        # Resolved, as the worker resolves its PANEL_INSTANCE: job folders are named after it.
        instance = (folder / "instance").resolve()
        # The lane and the suite (PANEL_TESTBED_LANE, PANEL_TESTBED_SUITE) stay: the panel's
        # `testbed up` must boot this lane's hosts on the run's Debian release.
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("PANEL_") or key in ("PANEL_TESTBED_LANE", "PANEL_TESTBED_SUITE")
        }
        env.update(
            PANEL_INSTANCE=str(instance),
            PANEL_DATABASE_URL=database_url,
            PANEL_PLAYBOOKS_DIR=str(playbooks),
            PANEL_JOB_HEARTBEAT=str(HEARTBEAT),
            PANEL_JOB_LOST_AFTER=str(LOST_AFTER),
        )
        if redis_url:
            env["PANEL_REDIS_URL"] = redis_url
        env.update({f"PANEL_{key}": str(value) for key, value in (settings or {}).items()})
        config = {
            **(settings or {}),
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(instance),
            "REDIS_URL": redis_url,
            "PLAYBOOKS_DIR": str(playbooks),
            "JOB_HEARTBEAT": HEARTBEAT,
            "JOB_LOST_AFTER": LOST_AFTER,
        }
        run_panel(env, folder, "init", "--admin-email", ADMIN_EMAIL, "--admin-password", PASSWORD)
        live = LivePanel(folder, queue, env, create_app(config), playbooks, control_dir)
        cleanup.callback(_dispose, live.app)
        live.token = admin_token(live.app)
        setup_option = "--setup" if setup else "--no-setup"
        up = live.cli(
            "testbed", "up", "--hosts", str(hosts), setup_option, "--role", role, check=False
        )
        # Unless another testbed came up meanwhile, whatever of one exists now is this run's.
        if "run `panel testbed down` first" not in up.stderr:
            cleanup.callback(live.cli, "testbed", "down", check=False)
        assert up.returncode == 0, f"panel testbed up failed:\n{up.stdout}\n{up.stderr}"
        state = json.loads((instance / "testbed" / "state.json").read_text())
        live.hosts = {host["name"]: saved.Host(**host) for host in state["hosts"]}
        cleanup.callback(_close_all_connections, live)
        cleanup.callback(live.stop_worker)
        live.start_worker()
        yield live


def _die_with_parent() -> None:
    """A worker must not outlive a test run that was killed before its teardown."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def admin_token(app: Flask) -> str:
    """A new API token of the admin `panel init` made, as `panel token create` makes it."""
    from panel.accounts.operations import create_api_token, find_user_by_email

    with app.app_context():
        admin = find_user_by_email(ADMIN_EMAIL)
        with acting("cli", admin):
            return create_api_token(admin, "e2e")[1]


def _close_all_connections(live: LivePanel) -> None:
    for host in live.hosts:
        live.close_connections(host)


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


def api_client_of(live: "LivePanel", email: str) -> FlaskClient:
    """A client of the live panel's app with an API token of the user with EMAIL."""
    with live.app.app_context():
        user = find_user_by_email(email)
        with acting("cli", user):
            token = create_api_token(user, "e2e")[1]
    client = live.app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@contextlib.contextmanager
def quick_prometheus(live: "LivePanel", agent_settings: str) -> Iterator[PrometheusServer]:
    """A Prometheus with the shipped configuration that scrapes every second instead of every
    15, set as the live panel's; AGENT_SETTINGS go to the test's copy of the playbooks'
    group_vars/all/agent.yml (the agent's intervals)."""
    (live.playbooks / "group_vars" / "all" / "agent.yml").write_text(agent_settings)
    with live.app.app_context():
        config = local_prometheus.prepare("127.0.0.1:9")
    text = re.sub(r"(scrape|evaluation)_interval: \S+", r"\1_interval: 1s", config.read_text())
    config.write_text(text)
    prometheus = PrometheusServer(config.parent).start()
    live.prometheus = prometheus
    live.app.config["PROMETHEUS_URL"] = prometheus.url
    live.env["PANEL_PROMETHEUS_URL"] = prometheus.url
    try:
        yield prometheus
    finally:
        prometheus.stop()
