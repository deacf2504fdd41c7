"""playbooks/panel.yml against a real testbed host: the panel deployed from wheels built on this
machine (the host has no other network), its services running, its pages answering through
nginx over HTTPS only with a certificate from Pebble (plain HTTP redirects), Secure cookies, the
admin able to log in, Prometheus running monitoring/ and scraping the panel, and a second run that
changes nothing; then a given certificate instead, served, and again a second run that changes
nothing. The tests run in file order on shared state."""

import base64
import datetime
import hashlib
import http.client
import http.cookiejar
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pyotp
import pytest
import yaml
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from deploy_wheels import wheel_folder
from hosts_support import AcmeServer, acme_server, http_get, tls_certificate
from polling import poll
from testbed_lock import machine_lock, torn_down_on_sigterm

from panel.config import instance_path
from panel.core.sshkey import load_private_key
from panel_testbed import cli as testbed_cli
from panel_testbed import ssh as testbed_ssh
from panel_testbed import state as saved

pytestmark = pytest.mark.testbed

ROOT = Path(__file__).resolve().parents[2]
IGNORED = shutil.ignore_patterns(".ansible", "__pycache__")
BIN = Path(sys.executable).parent
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "correct horse battery staple"
SERVICES = ("panel-web", "panel-worker", "postgresql", "redis-server", "prometheus", "nginx")
PLAYBOOK_TIMEOUT = 900
# Generous: a login checks the password with argon2 and the enrolment of the second factor hashes
# ten recovery codes with it, 2.5 s on an idle machine and more than 10 s on a loaded one (the
# host shares the cores with the suites and the other lanes).
HTTP_TIMEOUT = 60
PROMETHEUS = "http://127.0.0.1:9090"  # the role's panel_prometheus_listen
TARGETS = "/etc/prometheus/targets"
# Prometheus scrapes every 15 s and passes new file_sd targets on within 5 s.
SCRAPE_TIMEOUT = 60
ACME_EMAIL = "hostmaster@example.org"
HSTS = "max-age=31536000"  # the role's panel_hsts_seconds
# nginx loads a renewed certificate when certbot's deploy hook reloads it.
RELOAD_TIMEOUT = 10


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
def panel_name(host) -> str:
    """The panel's DNS name; only Pebble's resolver knows it (as the host's address)."""
    return f"panel.{host.name}.test"


@pytest.fixture(scope="module")
def acme(host, panel_name) -> Iterator[AcmeServer]:
    """Pebble on the testbed's bridge, validating the panel's name on the host's port 80."""
    with acme_server() as server:
        server.add_name(panel_name, host.address)
        yield server


@pytest.fixture(scope="module")
def pebble_root(acme, tmp_path_factory) -> Path:
    """The root of the certificates this Pebble issues (a new one every start)."""
    path = tmp_path_factory.mktemp("pebble") / "issued-root.pem"
    path.write_text(acme.issued_root_pem())
    return path


@pytest.fixture(scope="module")
def playbook(host, project, acme, panel_name, tmp_path_factory) -> Iterator[Callable[..., Run]]:
    """A function that runs panel.yml against the host with the venv's ansible-playbook, given
    more variables and options if need be."""
    folder = tmp_path_factory.mktemp("deploy")
    # Under the machine lock: a build for other source, in another test run, would prune this
    # folder while the playbook still reads it.
    wheels = wheel_folder(host.suite)
    playbooks = project / "playbooks"
    settings = {
        **_settings(wheels),
        "panel_server_name": panel_name,
        "acme_directory_url": acme.directory_url,
        "acme_email": ACME_EMAIL,
        "acme_ca_cert": acme.ca_cert_pem,
    }
    command = [
        str(BIN / "ansible-playbook"),
        *("-i", str(_write_inventory(folder, host))),
        *("-e", f"@{_write_private_yaml(folder / 'secrets.yml', settings)}"),
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

    def run(variables: dict | None = None, *options: str) -> Run:
        """The run's whole output is also kept in the deploy folder, for a look after a failure."""
        nonlocal runs
        runs += 1
        more = list(options)
        if variables:
            more += ["-e", f"@{_write_private_yaml(folder / f'vars-{runs}.yml', variables)}"]
        started = time.monotonic()
        result = subprocess.run(
            [*command, *more],
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


def _settings(wheels: Path) -> dict:
    return {
        "panel_wheel_dir": str(wheels),
        "panel_secret_key": secrets.token_urlsafe(32),
        "panel_admin_email": ADMIN_EMAIL,
        "panel_admin_password": ADMIN_PASSWORD,
    }


def _write_private_yaml(path: Path, variables: dict) -> Path:
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(variables))
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


class _AddressedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ADDRESS for the connection's host name: its SNI, certificate check and Host
    header (this machine does not resolve the testbed's names)."""

    def __init__(self, address: str, host: str, context: ssl.SSLContext, timeout: float):
        super().__init__(host, timeout=timeout, context=context)
        self.address = address
        self.tls_context = context

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls_context.wrap_socket(raw, server_hostname=self.host)


class _HTTPSToAddress(urllib.request.HTTPSHandler):
    def __init__(self, address: str, context: ssl.SSLContext):
        super().__init__(context=context)
        self.address = address
        self.tls_context = context

    def https_open(self, req):
        return self.do_open(self._connection, req)

    def _connection(
        self, host: str, timeout: float = HTTP_TIMEOUT, **_
    ) -> _AddressedHTTPSConnection:
        return _AddressedHTTPSConnection(self.address, host, self.tls_context, timeout)


class Browser:
    """HTTPS from this machine straight to the host (no proxy) for the panel's name, its
    certificate verified against CA_FILE, with cookies, and redirects reported instead of
    followed."""

    class _Unfollowed(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, address: str, name: str, ca_file: Path):
        self.site = f"https://{name}"
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            _HTTPSToAddress(address, ssl.create_default_context(cafile=str(ca_file))),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            self._Unfollowed(),
        )

    def request(self, path: str, form: dict | None = None) -> tuple[int, Message, str]:
        """Status, headers and body of a GET, or of a POST of FORM to the page it came from,
        which a browser names as Referer (Flask-WTF requires it over HTTPS)."""
        url = self.site + path
        request = urllib.request.Request(url)
        if form is not None:
            request.data = urllib.parse.urlencode(form).encode()
            request.add_header("Referer", url)
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read().decode()

    def log_in(self, email: str, password: str, remember: bool = False) -> tuple[int, Message, str]:
        _, _, page = self.request("/login")
        form = {"csrf_token": _csrf_token(page), "email": email, "password": password}
        if remember:
            form["remember"] = "y"
        return self.request("/login", form)


def _csrf_token(page: str) -> str:
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, page
    return token.group(1)


def _cookie(headers: Message, name: str) -> dict[str, str | bool]:
    """The attributes of the cookie NAME the response sets (keys lower-case)."""
    for header in headers.get_all("Set-Cookie") or []:
        first, *attributes = (part.strip() for part in header.split(";"))
        if first.partition("=")[0] == name:
            parsed: dict[str, str | bool] = {}
            for attribute in attributes:
                key, has_value, value = attribute.partition("=")
                parsed[key.lower()] = value if has_value else True
            return parsed
    raise AssertionError(f"no {name} cookie in {headers.get_all('Set-Cookie')}")


@pytest.fixture
def browser(host, panel_name, pebble_root) -> Browser:
    return Browser(host.address, panel_name, pebble_root)


def test_first_run_deploys_the_panel(first_run, host):
    assert first_run.recap(host.name)["changed"] > 0


def test_the_panel_and_its_services_run_on_the_host(first_run, on_host):
    status, output = on_host(f"systemctl is-active {' '.join(SERVICES)}")
    assert dict(zip(SERVICES, output.split(), strict=True)) == dict.fromkeys(SERVICES, "active")
    assert status == 0


def test_the_panel_answers_through_nginx_over_https(
    first_run, browser, panel_name, pebble_root, on_host
):
    status, headers, body = browser.request("/healthz")
    assert status == 200, body
    assert json.loads(body) == {"status": "ok", "database": "ok"}
    assert headers["Server"] == "nginx"
    assert headers.get_all("Strict-Transport-Security") == [HSTS]

    status, _, page = browser.request("/login")
    assert status == 200
    assert 'name="password"' in page

    # The panel's own metrics are for the host's Prometheus only.
    status, headers, _ = browser.request("/metrics")
    assert status == 403
    assert headers.get_all("Strict-Transport-Security") == [HSTS]
    root = base64.b64encode(pebble_root.read_bytes()).decode()
    status, metrics = on_host(
        f"echo {root} | base64 -d > /tmp/issued-root.pem && curl --silent --fail"
        f" --cacert /tmp/issued-root.pem --resolve {panel_name}:443:127.0.0.1"
        f" https://{panel_name}/metrics"
    )
    assert status == 0, metrics
    assert "panel_queue_depth" in metrics


def test_plain_http_answers_only_acme_challenges_and_redirects_to_https(
    first_run, host, panel_name, on_host
):
    # Whatever name the request asks for: the panel's name is where HTTPS serves it.
    for name in (panel_name, host.address):
        for path in ("/login?next=%2Faccount", "/healthz", "/metrics"):
            response = http_get(host.address, name, path)
            assert response.status == 301, (name, path, response.body)
            assert response.headers["Location"] == f"https://{panel_name}{path}"

    challenges = "/var/lib/panel-acme/.well-known/acme-challenge"
    status, output = on_host(f"mkdir -p {challenges} && echo probe-token > {challenges}/probe")
    assert status == 0, output
    try:
        response = http_get(host.address, panel_name, "/.well-known/acme-challenge/probe")
        assert (response.status, response.body) == (200, "probe-token\n")
    finally:
        on_host(f"rm -f {challenges}/probe")


def _handshake(address: str, name: str, ca_file: Path, version: ssl.TLSVersion) -> str:
    """The protocol of a TLS handshake offering VERSION only (old ones allowed on this side)."""
    context = ssl.create_default_context(cafile=str(ca_file))
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 and 1.1 are, on purpose
        context.minimum_version = version
        context.maximum_version = version
    with (
        socket.create_connection((address, 443), timeout=HTTP_TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        return str(tls.version())


def test_https_speaks_tls_1_2_and_newer_only(first_run, host, panel_name, pebble_root):
    for version, spelled in (
        (ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
        (ssl.TLSVersion.TLSv1_3, "TLSv1.3"),
    ):
        assert _handshake(host.address, panel_name, pebble_root, version) == spelled
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1)
    for version in old:
        with pytest.raises(ssl.SSLError):
            _handshake(host.address, panel_name, pebble_root, version)


def test_the_certificate_comes_from_the_acme_server_and_renews(
    first_run, host, panel_name, acme, pebble_root, on_host
):
    served = tls_certificate(host.address, panel_name, pebble_root)
    assert served["subjectAltName"] == (("DNS", panel_name),)
    status, renewal = on_host(f"cat /etc/letsencrypt/renewal/{panel_name}.conf")
    assert status == 0, renewal
    assert f"server = {acme.directory_url}" in renewal

    # What certbot.timer runs, with the environment its unit gives it: the certificate is renewed
    # at Pebble and nginx (the deploy hook) serves the new one.
    _, environment = on_host("systemctl show certbot.service --property=Environment --value")
    assert "REQUESTS_CA_BUNDLE=" in environment
    assert on_host("systemctl is-enabled certbot.timer")[1].strip() == "enabled"
    status, output = on_host(
        f"env {environment.strip()} certbot renew --force-renewal --no-random-sleep-on-renew"
        f" --cert-name {panel_name} 2>&1"
    )
    assert status == 0, output
    poll(
        lambda: (
            tls_certificate(host.address, panel_name, pebble_root)["serialNumber"]
            != served["serialNumber"]
        ),
        RELOAD_TIMEOUT,
        "nginx does not serve the renewed certificate",
    )


def test_the_panel_knows_it_is_served_over_https(first_run, panel_name, on_host):
    # Links in mails, and the remember-me cookie's Secure, follow PANEL_BASE_URL; nginx is the
    # one proxy whose X-Forwarded-Proto the panel trusts.
    status, output = on_host("grep -E '^PANEL_(BASE_URL|PROXY_COUNT)=' /etc/panel/env")
    assert status == 0, output
    assert sorted(output.split()) == [
        f'PANEL_BASE_URL="https://{panel_name}"',
        'PANEL_PROXY_COUNT="1"',
    ]


def test_the_admin_logs_in_with_the_deployed_password_and_secure_cookies(first_run, browser):
    status, headers, _ = browser.log_in(ADMIN_EMAIL, "not the admin's password")
    assert status == 200
    assert "Location" not in headers

    status, headers, body = browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD, remember=True)
    # An admin sets up the second factor before the first login completes.
    assert status == 302, body
    assert urllib.parse.urlsplit(headers["Location"]).path == "/login/enrol"
    session_cookie = _cookie(headers, "session")
    assert session_cookie.get("secure") is True, session_cookie
    assert session_cookie.get("httponly") is True, session_cookie
    assert session_cookie.get("samesite") == "Lax", session_cookie

    status, _, page = browser.request("/login/enrol")
    assert status == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    assert secret, page
    form = {"csrf_token": _csrf_token(page), "code": pyotp.TOTP(secret.group(1)).now()}
    status, headers, page = browser.request("/login/enrol", form)
    assert status == 200, page
    remember = _cookie(headers, "remember_token")
    assert remember.get("secure") is True, remember
    assert remember.get("httponly") is True, remember
    assert remember.get("samesite") == "Lax", remember
    assert _cookie(headers, "session").get("secure") is True


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


def test_only_prometheus_reads_the_agents_tokens(first_run, on_host):
    """The panel writes agents.json (each host's agent token) into the setgid targets folder:
    Prometheus' group reads it, nobody else; the token every agent once shared is gone."""
    status, output = on_host(
        f"stat -c '%n %U:%G %a' {TARGETS} {TARGETS}/agents.json && cat {TARGETS}/agents.json"
        f" && test ! -e {TARGETS}/agent-token"
    )
    assert status == 0, output
    lines = output.splitlines()
    assert lines[0] == f"{TARGETS} panel:prometheus 2750"
    assert lines[1] == f"{TARGETS}/agents.json panel:prometheus 640"
    assert json.loads("\n".join(lines[2:])) == []  # no host in the new panel's inventory yet


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
    hosts = [
        {"targets": ["127.0.0.1"], "labels": {"host": "probe"}},
        {"targets": ["[::1]"], "labels": {"host": "probe"}},
    ]
    agents = [
        {"targets": group["targets"], "labels": {**group["labels"], "__param_token": "probe"}}
        for group in hosts
    ]
    write = " && ".join(
        f"umask 077 && printf '%s' {shlex.quote(json.dumps(content))} > {TARGETS}/.{name}.new"
        f" && chmod {mode} {TARGETS}/.{name}.new && mv {TARGETS}/.{name}.new {TARGETS}/{name}"
        for name, content, mode in (("hosts.json", hosts, "0644"), ("agents.json", agents, "0640"))
    )
    status, output = on_host(
        "nsenter --mount --target $(systemctl show --property MainPID --value panel-web)"
        f" --setuid $(id -u panel) --setgid $(id -g panel) -- sh -c {shlex.quote(write)} 2>&1"
    )
    assert status == 0, output

    def probe_urls() -> set[str]:
        targets = _prometheus(on_host, "targets?state=active")["activeTargets"]
        return {t["scrapeUrl"] for t in targets if t["labels"].get("host") == "probe"}

    # Each job adds its port; the IPv6 address keeps its brackets; each agent gets its token.
    expected = {
        "http://127.0.0.1:9835/metrics?token=probe",
        "http://127.0.0.1:9100/metrics",
        "http://[::1]:9835/metrics?token=probe",
        "http://[::1]:9100/metrics",
    }
    try:
        poll(
            lambda: probe_urls() == expected,
            SCRAPE_TIMEOUT,
            "Prometheus did not scrape the targets of hosts.json and agents.json",
            interval=1,
        )
    finally:
        status, output = on_host(f"echo [] > {TARGETS}/agents.json && rm {TARGETS}/hosts.json 2>&1")
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


@pytest.fixture(scope="module")
def given_certificate(panel_name, tmp_path_factory) -> tuple[Path, str, str]:
    """A CA of this test's own (its file), and a certificate for the panel's name that it signed
    with that certificate's key, both as PEM."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "panel tests given CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, panel_name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(panel_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = tmp_path_factory.mktemp("given") / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return ca_file, leaf.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def _given(certificate: tuple[Path, str, str]) -> dict:
    _, certificate_pem, key_pem = certificate
    return {"panel_tls_certificate": certificate_pem, "panel_tls_key": key_pem}


@pytest.fixture(scope="module")
def given_run(first_run, playbook, host, given_certificate) -> Run:
    """panel.yml with a given certificate instead of Pebble's, showing its diffs: every file's
    content it writes, unless that is secret."""
    run = playbook(_given(given_certificate), "--diff")
    print(f"run of panel.yml with a given certificate: {run.seconds:.1f} s")
    assert run.returncode == 0, run.output[-8000:]
    return run


def test_a_given_certificate_is_served_and_its_key_never_shown(
    given_run, host, panel_name, given_certificate, on_host
):
    ca_file, certificate_pem, key_pem = given_certificate
    served = tls_certificate(host.address, panel_name, ca_file)
    expected = x509.load_pem_x509_certificate(certificate_pem.encode()).serial_number
    assert int(served["serialNumber"], 16) == expected

    status, _, body = Browser(host.address, panel_name, ca_file).request("/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok"})
    assert http_get(host.address, panel_name, "/login").status == 301

    # The certificate is in the diff, the key is not.
    assert certificate_pem.splitlines()[1] in given_run.output
    for line in key_pem.splitlines()[1:-1]:
        assert line not in given_run.output
    status, output = on_host("stat -c '%n %U:%G %a' /etc/panel/tls /etc/panel/tls/privkey.pem")
    assert status == 0, output
    assert output.splitlines() == [
        "/etc/panel/tls root:root 700",
        "/etc/panel/tls/privkey.pem root:root 600",
    ]
    # Pebble's certificate went with its renewal.
    status, output = on_host(
        f"ls /etc/letsencrypt/live/{panel_name} /etc/letsencrypt/renewal/{panel_name}.conf 2>&1"
    )
    assert status != 0, output


def test_a_second_run_with_the_given_certificate_changes_nothing(
    given_run, playbook, host, given_certificate
):
    second = playbook(_given(given_certificate))
    print(f"second run of panel.yml with a given certificate: {second.seconds:.1f} s")
    assert second.returncode == 0, second.output[-8000:]
    assert second.recap(host.name)["changed"] == 0, second.changed_tasks()


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({"panel_server_name": "panel"}, "panel_server_name must be its DNS name"),
        ({"panel_tls_certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n"}, "panel_tls_key"),
    ],
    ids=["a name without a certificate that is no DNS name", "a certificate without its key"],
)
def test_tls_settings_the_panel_cannot_serve_stop_the_deploy_and_change_nothing(
    given_run, playbook, host, on_host, variables, reason
):
    site = "sha256sum /etc/nginx/sites-available/panel /etc/panel/tls/*"
    _, before = on_host(site)
    run = playbook(variables)
    assert run.returncode != 0
    assert run.recap(host.name)["changed"] == 0, run.changed_tasks()
    assert reason in " ".join(run.output.split()), run.output[-4000:]
    assert on_host(site)[1] == before
