"""playbooks/panel.yml against a real testbed host: the panel deployed from wheels built on this
machine (the host has no other network), its services running, its pages answering through
nginx, the admin able to log in, Prometheus running monitoring/ and scraping the panel, and a
second run that changes nothing. The tests run in file order: the last one is the second run."""

import hashlib
import http.cookiejar
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from deploy_wheels import wheel_folder
from polling import poll
from testbed_lock import machine_lock, torn_down_on_sigterm

from panel.config import instance_path
from panel.core.sshkey import load_private_key
from panel.testbed import cli as testbed_cli
from panel.testbed import ssh as testbed_ssh
from panel.testbed import state as saved

pytestmark = pytest.mark.testbed

ROOT = Path(__file__).resolve().parents[2]
IGNORED = shutil.ignore_patterns(".ansible", "__pycache__")
BIN = Path(sys.executable).parent
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "correct horse battery staple"
SERVICES = ("panel-web", "panel-worker", "postgresql", "redis-server", "prometheus", "nginx")
PLAYBOOK_TIMEOUT = 900
HTTP_TIMEOUT = 10
PROMETHEUS = "http://127.0.0.1:9090"  # the role's panel_prometheus_listen
TARGETS = "/etc/prometheus/targets"
# Prometheus scrapes every 15 s and passes new file_sd targets on within 5 s.
SCRAPE_TIMEOUT = 60


@dataclass
class Run:
    """One ansible-playbook run: its exit status, output and duration."""

    returncode: int
    output: str
    seconds: float

    def recap(self, host: str) -> dict[str, int]:
        """The host's counts from the PLAY RECAP line (ok, changed, unreachable, failed, ...)."""
        line = re.search(rf"^{re.escape(host)}\s+:(.*)$", self.output, re.MULTILINE)
        assert line, self.output[-4000:]
        return {name: int(count) for name, count in re.findall(r"(\w+)=(\d+)", line.group(1))}

    def changed_tasks(self) -> list[str]:
        tasks, task = [], ""
        for line in self.output.splitlines():
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                task = line.split("[", 1)[1].rsplit("]", 1)[0]
            elif line.startswith("changed:"):
                tasks.append(task)
        return tasks


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database of the test run: the shared rolled-back session stays out."""
    yield None


@pytest.fixture(scope="module")
def host(tmp_path_factory) -> Iterator[saved.Host]:
    """One testbed host, in an instance folder of its own, taken down again whatever happens."""
    with torn_down_on_sigterm(), machine_lock(), pytest.MonkeyPatch.context() as patch:
        patch.setenv("PANEL_INSTANCE", str(tmp_path_factory.mktemp("instance")))
        patch.delenv("PANEL_SECRET_KEY", raising=False)
        ours = True
        try:
            up = _testbed("up", "--hosts", "1", "--no-register")
            # A testbed someone else brought up is theirs to take down.
            ours = "run `panel testbed down` first" not in up.output
            assert up.exit_code == 0, up.output
            yield saved.load().hosts[0]
        finally:
            if ours:
                down = _testbed("down")
                assert down.exit_code == 0, down.output


def _testbed(*args: str):
    return CliRunner().invoke(testbed_cli.testbed, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The copy of the repository's playbooks/, agents/ and monitoring/ that is deployed: an edit
    of the working tree between the two runs would make a new release, not a changed host."""
    target = tmp_path_factory.mktemp("project")
    for name in ("playbooks", "agents", "monitoring"):
        shutil.copytree(ROOT / name, target / name, ignore=IGNORED)
    return target


@pytest.fixture(scope="module")
def playbook(host, project, tmp_path_factory) -> Iterator[Callable[[], Run]]:
    """A function that runs panel.yml against the host with the venv's ansible-playbook."""
    folder = tmp_path_factory.mktemp("deploy")
    # Under the machine lock: a build for other source, in another test run, would prune this
    # folder while the playbook still reads it.
    wheels = wheel_folder()
    playbooks = project / "playbooks"
    command = [
        str(BIN / "ansible-playbook"),
        *("-i", str(_write_inventory(folder, host))),
        *("-e", f"@{_write_settings(folder, wheels)}"),
        str(playbooks / "panel.yml"),
    ]
    # Short: a Unix socket path holds at most 108 bytes and ssh adds a 40-character hash.
    control_dir = Path(tempfile.mkdtemp(prefix="pcp", dir="/tmp"))
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(playbooks / "ansible.cfg"),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control_dir),
        "ANSIBLE_NOCOLOR": "1",
    }
    runs = 0

    def run() -> Run:
        """The run's whole output is also kept in the deploy folder, for a look after a failure."""
        nonlocal runs
        runs += 1
        started = time.monotonic()
        result = subprocess.run(
            command,
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=PLAYBOOK_TIMEOUT,
            check=False,
        )
        output = result.stdout + result.stderr
        (folder / f"run-{runs}.log").write_text(output)
        return Run(result.returncode, output, time.monotonic() - started)

    try:
        yield run
    finally:
        # Ansible's shared connection (ControlPersist) ends with the test, not 2 minutes later.
        target = ["-p", str(host.ssh_port), f"root@{host.address}"]
        subprocess.run(
            ["ssh", "-o", f"ControlPath={control_dir}/%C", "-O", "exit", *target],
            capture_output=True,
            timeout=10,
            check=False,
        )
        shutil.rmtree(control_dir, ignore_errors=True)


def _write_inventory(folder: Path, host: saved.Host) -> Path:
    """The host in group `panel`, its key checked against the testbed's known_hosts."""
    connection = {
        "ansible_host": host.address,
        "ansible_port": host.ssh_port,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(_clear_panel_key(folder / "id_ed25519")),
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={saved.known_hosts_path()}"
        " -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes",
    }
    inventory = folder / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"panel": {"hosts": {host.name: connection}}}))
    return inventory


def _write_settings(folder: Path, wheels: Path) -> Path:
    settings = {
        "panel_wheel_dir": str(wheels),
        "panel_secret_key": secrets.token_urlsafe(32),
        "panel_admin_email": ADMIN_EMAIL,
        "panel_admin_password": ADMIN_PASSWORD,
        "panel_release_bundle": str(folder / "release.tar"),
    }
    path = folder / "secrets.yml"
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(settings))
    return path


def _clear_panel_key(path: Path) -> Path:
    """The panel's key without its passphrase, for the OpenSSH client Ansible runs."""
    key = load_private_key(instance_path(), testbed_ssh.instance_secret())
    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture(scope="module")
def first_run(playbook, host) -> Run:
    run = playbook()
    print(f"first run of panel.yml: {run.seconds:.1f} s")
    assert run.returncode == 0, run.output[-8000:]
    assert run.recap(host.name)["failed"] == 0
    return run


@pytest.fixture
def on_host(host) -> Callable[[str], tuple[int, str]]:
    """Run a command on the host as root over SSH, its key checked against known_hosts."""

    def run(command: str) -> tuple[int, str]:
        return testbed_ssh.run_on(host.address, host.ssh_port, command, saved.known_hosts_path())

    return run


class Browser:
    """HTTP from this machine straight to the host (no proxy), with cookies, and redirects
    reported instead of followed."""

    class _Unfollowed(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, host: saved.Host):
        self.site = f"http://{host.address}"
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            self._Unfollowed(),
        )

    def request(self, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        """Status, headers and body of a GET, or of a POST of FORM."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.site + path, data=data, timeout=HTTP_TIMEOUT) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers), error.read().decode()

    def log_in(self, email: str, password: str) -> tuple[int, dict, str]:
        _, _, page = self.request("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, page
        form = {"csrf_token": token.group(1), "email": email, "password": password}
        return self.request("/login", form)


def test_first_run_deploys_the_panel(first_run, host):
    assert first_run.recap(host.name)["changed"] > 0


def test_the_panel_and_its_services_run_on_the_host(first_run, on_host):
    status, output = on_host(f"systemctl is-active {' '.join(SERVICES)}")
    assert dict(zip(SERVICES, output.split(), strict=True)) == dict.fromkeys(SERVICES, "active")
    assert status == 0


def test_the_panel_answers_through_nginx(first_run, host, on_host):
    browser = Browser(host)
    status, headers, body = browser.request("/healthz")
    assert status == 200, body
    assert json.loads(body) == {"status": "ok", "database": "ok"}
    assert headers["Server"] == "nginx"

    status, _, page = browser.request("/login")
    assert status == 200
    assert 'name="password"' in page

    # The panel's own metrics are for the host's Prometheus only.
    assert browser.request("/metrics")[0] == 403
    status, metrics = on_host("curl --silent --fail http://127.0.0.1/metrics")
    assert status == 0
    assert "panel_queue_depth" in metrics


def test_the_admin_logs_in_with_the_deployed_password(first_run, host):
    browser = Browser(host)
    status, headers, _ = browser.log_in(ADMIN_EMAIL, "not the admin's password")
    assert status == 200
    assert "Location" not in headers

    status, headers, body = browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD)
    # An admin sets up the second factor before the first login completes.
    assert status == 302, body
    assert urllib.parse.urlsplit(headers["Location"]).path == "/login/enrol"
    status, _, page = browser.request("/login/enrol")
    assert status == 200
    assert 'id="totp-secret"' in page


def test_the_release_ships_the_agent_next_to_the_playbooks(first_run, project, on_host):
    shipped = project / "agents" / "panel_agent.py"
    digest = hashlib.sha256(shipped.read_bytes()).hexdigest()
    # A playbook of the worker reaches it as "{{ playbook_dir }}/../agents", whether ".." is
    # resolved after the playbooks symlink or textually.
    for path in ("/opt/panel/playbooks/../agents", "/opt/panel/agents"):
        status, output = on_host(f"sha256sum {path}/panel_agent.py")
        assert status == 0, output
        assert output.split()[0] == digest


def test_prometheus_runs_the_monitoring_configuration(first_run, project, on_host):
    status, output = on_host("promtool check config /etc/prometheus/prometheus.yml 2>&1")
    assert status == 0, output
    assert "Checking /etc/prometheus/rules/recording.yml" in output
    assert "Checking /etc/prometheus/rules/alerts.yml" in output

    monitoring = project / "monitoring"
    _, installed = on_host("cat /etc/prometheus/prometheus.yml")
    assert installed == (monitoring / "prometheus.yml").read_text()
    running = yaml.safe_load(_prometheus(on_host, "status/config")["yaml"])
    assert [job["job_name"] for job in running["scrape_configs"]] == ["agent", "node", "panel"]
    groups = {group["name"] for group in _prometheus(on_host, "rules")["groups"]}
    assert groups == {
        group["name"]
        for path in (monitoring / "rules").glob("*.yml")
        for group in yaml.safe_load(path.read_text())["groups"]
    }


def test_prometheus_holds_the_token_the_panels_agent_jobs_hand_out(first_run, on_host):
    # The panel's derivation (panel.metering.targets.agent_token) from the deployed secret.
    status, secret = on_host("sed -n 's/^PANEL_SECRET_KEY=//p' /etc/panel/env")
    secret = secret.strip().strip('"')  # env.j2 quotes; a token_urlsafe value needs no escapes
    assert status == 0 and secret, secret
    expected = hashlib.sha256(f"panel-agent-token:{secret}".encode()).hexdigest()
    token = f"{TARGETS}/agent-token"
    status, output = on_host(f"stat -c '%U:%G %a' {token} && cat {token}")
    assert status == 0, output
    assert output.split() == ["root:prometheus", "640", expected]


def test_prometheus_scrapes_the_panel_directly(first_run, on_host):
    def panel_target() -> dict | None:
        targets = _prometheus(on_host, "targets?state=active")["activeTargets"]
        found = [target for target in targets if target["labels"]["job"] == "panel"]
        return found[0] if found and found[0]["health"] == "up" else None

    target = poll(panel_target, SCRAPE_TIMEOUT, "the panel's target is not up", interval=1)
    # gunicorn on loopback, not nginx (panel_web_port).
    assert target["scrapeUrl"] == "http://127.0.0.1:8000/metrics"
    assert target["labels"]["host"] == "panel"
    depth = _prometheus(on_host, "query?query=panel_queue_depth")["result"]
    assert [series["metric"]["job"] for series in depth] == ["panel"]


def test_the_panels_services_write_targets_prometheus_reads(first_run, on_host):
    # Written as panel-web writes: as its user, inside its sandbox (ProtectSystem=strict), with
    # its umask; the panel makes the file readable (0644) before it moves it into place. Nothing
    # listens on the probe's ports: only the discovery and the addresses are checked.
    hosts = json.dumps(
        [
            {"targets": ["127.0.0.1"], "labels": {"host": "probe"}},
            {"targets": ["[::1]"], "labels": {"host": "probe"}},
        ]
    )
    write = (
        f"umask 077 && printf '%s' {shlex.quote(hosts)} > {TARGETS}/.hosts.json.new"
        f" && chmod 0644 {TARGETS}/.hosts.json.new"
        f" && mv {TARGETS}/.hosts.json.new {TARGETS}/hosts.json"
    )
    status, output = on_host(
        "nsenter --mount --target $(systemctl show --property MainPID --value panel-web)"
        f" --setuid $(id -u panel) --setgid $(id -g panel) -- sh -c {shlex.quote(write)} 2>&1"
    )
    assert status == 0, output

    def probe_urls() -> set[str]:
        targets = _prometheus(on_host, "targets?state=active")["activeTargets"]
        return {t["scrapeUrl"] for t in targets if t["labels"].get("host") == "probe"}

    # Each job adds its port; the IPv6 address keeps its brackets.
    expected = {
        "http://127.0.0.1:9835/metrics",
        "http://127.0.0.1:9100/metrics",
        "http://[::1]:9835/metrics",
        "http://[::1]:9100/metrics",
    }
    try:
        poll(
            lambda: probe_urls() == expected,
            SCRAPE_TIMEOUT,
            "Prometheus did not scrape the targets of hosts.json",
            interval=1,
        )
    finally:
        status, output = on_host(f"rm {TARGETS}/hosts.json 2>&1")
        assert status == 0, output


def _prometheus(on_host, path: str) -> dict:
    """The data of a request to the host's Prometheus API, made on the host."""
    status, output = on_host(f"curl --silent --fail '{PROMETHEUS}/api/v1/{path}'")
    assert status == 0, output
    answer = json.loads(output)
    assert answer["status"] == "success", answer
    return answer["data"]


def test_a_second_run_changes_nothing(first_run, playbook, host):
    second = playbook()
    print(f"second run of panel.yml: {second.seconds:.1f} s")
    assert second.returncode == 0, second.output[-8000:]
    assert second.recap(host.name)["changed"] == 0, second.changed_tasks()
