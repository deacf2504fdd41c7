"""Playbooks against real testbed hosts: a testbed in an instance folder of its own, playbook runs
through ansible-runner with pinned host keys (as the panel's worker runs them), commands on a host,
HTTP(S) to a host by name, and an ACME server (Debian's Pebble) with a resolver of its own so that
HTTP-01 validation really happens.

Traffic goes to loopback and to the testbed (198.18.0.0/15) only."""

import contextlib
import http.client
import io
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

import ansible_runner
import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from polling import poll
from testbed_lock import machine_lock, torn_down_on_sigterm
from tls_files import TestCa

from panel.core.sshkey import clear_key_pem
from panel_testbed import network
from panel_testbed import ssh as testbed_ssh
from panel_testbed import state as saved

ROOT = Path(__file__).resolve().parents[1]
PLAYBOOKS = ROOT / "playbooks"
BIN = Path(sys.executable).parent
PANEL = [sys.executable, "-m", "panel.cli"]
# The first `up` of a suite on a machine builds its image (mmdebstrap: 8 minutes seen under the
# whole suite's load) before it boots the hosts.
TESTBED_TIMEOUT = 1800
PLAYBOOK_TIMEOUT = 600
HTTP_TIMEOUT = 10
SSH_TIMEOUT = 5
START_TIMEOUT = 20
STOP_TIMEOUT = 10

ACME_ADDRESS = str(network.GATEWAY)  # the machine's address on the testbed bridge
ACME_PORT = 14000
ACME_MANAGEMENT_PORT = 15000


@dataclass
class _Testbed:
    """What the running testbed's helpers share: its instance folder and this run's files."""

    instance: Path
    work: Path
    control_dir: Path
    runs: int = 0


_active: _Testbed | None = None


def _current() -> _Testbed:
    assert _active is not None, "no testbed: use the helpers inside `with testbed_hosts(...)`"
    return _active


@contextlib.contextmanager
def testbed_hosts(count: int, suites: str | None = None) -> Iterator[saved.State]:
    """COUNT testbed hosts under the machine lock, in an instance folder of their own (set as
    PANEL_INSTANCE while the block runs), taken down again whatever happens. Their Debian
    release: SUITES as `panel testbed up --suite` takes it, by default PANEL_TESTBED_SUITE's."""
    global _active
    assert _active is None, "one testbed at a time"
    asked = time.monotonic()
    with torn_down_on_sigterm(), machine_lock(), contextlib.ExitStack() as cleanup:
        locked = time.monotonic()
        work = Path(tempfile.mkdtemp(prefix="panel-hosts-"))
        cleanup.callback(shutil.rmtree, work, ignore_errors=True)
        # Short: a Unix socket path holds at most 108 bytes and ssh adds a 40-character hash.
        control_dir = Path(tempfile.mkdtemp(prefix="phs", dir="/tmp"))
        cleanup.callback(shutil.rmtree, control_dir, ignore_errors=True)
        instance = work / "instance"
        cleanup.enter_context(_environment(PANEL_INSTANCE=str(instance), PANEL_SECRET_KEY=None))
        chosen = ("--suite", suites) if suites else ()
        up = _panel("testbed", "up", "--hosts", str(count), *chosen, "--no-register")
        # A testbed someone else brought up is theirs to take down.
        if "run `panel testbed down` first" not in up.stderr:
            cleanup.callback(_take_down)
        assert up.returncode == 0, f"panel testbed up failed:\n{up.stdout}\n{up.stderr}"
        state = saved.load()
        assert state is not None and len(state.hosts) == count, up.stdout
        print(
            f"testbed of {count} hosts up in {time.monotonic() - locked:.1f} s "
            f"(after {locked - asked:.1f} s waiting for the machine lock)"
        )
        _active = _Testbed(instance, work, control_dir)
        cleanup.callback(_close_connections, state, control_dir)
        try:
            yield state
        finally:
            _active = None


# Test modules import it by name: pytest must not collect it as a test.
testbed_hosts.__test__ = False  # type: ignore[attr-defined]


@contextlib.contextmanager
def _environment(**values: str | None) -> Iterator[None]:
    """os.environ with VALUES set (None: removed), restored afterwards."""
    before = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            _set_env(name, value)
        yield
    finally:
        for name, value in before.items():
            _set_env(name, value)


def _set_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _panel(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PANEL, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TESTBED_TIMEOUT,
        check=False,
    )


def _take_down() -> None:
    down = _panel("testbed", "down")
    assert down.returncode == 0, f"panel testbed down failed:\n{down.stdout}\n{down.stderr}"


def _close_connections(state: saved.State, control_dir: Path) -> None:
    """End Ansible's shared SSH connections (ControlPersist) now rather than 2 minutes later."""
    for host in state.hosts:
        subprocess.run(
            [
                *("ssh", "-o", f"ControlPath={control_dir}/%C", "-O", "exit"),
                *("-p", str(host.ssh_port), f"root@{host.address}"),
            ],
            capture_output=True,
            timeout=10,
            check=False,
        )


def host_named(state: saved.State, host_name: str) -> saved.Host:
    found = [host for host in state.hosts if host.name == host_name]
    assert found, f"no testbed host {host_name}: {[host.name for host in state.hosts]}"
    return found[0]


def run_playbook(
    state: saved.State,
    playbook: str,
    host_name: str,
    extravars: dict,
    cmdline: str = "",
    timeout: int = PLAYBOOK_TIMEOUT,
) -> ansible_runner.Runner:
    """playbooks/PLAYBOOK against one testbed host, as the panel's worker runs a job: through
    ansible-runner, with the panel's key and the host's key pinned (strict checking). CMDLINE:
    further options of ansible-playbook (such as "--check --diff"); TIMEOUT: seconds the whole
    run may take."""
    active = _current()
    host = host_named(state, host_name)
    active.runs += 1
    folder = active.work / "runs" / f"{active.runs:03d}-{Path(playbook).stem}"
    folder.mkdir(parents=True)
    connection = {
        "ansible_host": host.address,
        "ansible_port": host.ssh_port,
        "ansible_user": "root",
        "ansible_ssh_common_args": (
            f"-o UserKnownHostsFile={saved.known_hosts_path()} -o StrictHostKeyChecking=yes"
        ),
    }
    return ansible_runner.run(
        private_data_dir=str(folder),
        project_dir=str(PLAYBOOKS),
        playbook=playbook,
        inventory={"all": {"hosts": {host.name: connection}}},
        extravars=extravars,
        ssh_key=clear_key_pem(_current().instance, testbed_ssh.instance_secret()),
        envvars={
            "ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg"),
            # ansible-runner turns host key checking off unless told otherwise; it stays on.
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(active.control_dir),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        },
        cmdline=cmdline or None,
        quiet=True,
        timeout=timeout,
    )


def custom_stats(runner: ansible_runner.Runner) -> dict:
    """The run's set_stats data (the final stats event's artifact_data)."""
    for event in runner.events:
        if event.get("event") == "playbook_on_stats":
            return event["event_data"].get("artifact_data") or {}
    return {}


def failure_messages(runner: ansible_runner.Runner) -> list[str]:
    """The msg of each failed task (as the panel's job reason shows them)."""
    messages = []
    for event in runner.events:
        data = event.get("event_data") or {}
        if event.get("event") in ("runner_on_failed", "runner_item_on_failed") and not data.get(
            "ignore_errors"
        ):
            result = data.get("res") or {}
            messages.append(str(result.get("msg") or result.get("stderr") or ""))
    return messages


def describe(runner: ansible_runner.Runner) -> str:
    """The run's status and the tail of its output, for assertion messages."""
    return f"{runner.status} (rc {runner.rc}):\n{runner.stdout.read()[-8000:]}"


def on_host(state: saved.State, host_name: str, command: str) -> tuple[int, str]:
    """Exit status and standard output of COMMAND run as root on the host over SSH, the host's
    key checked against the testbed's known_hosts."""
    host = host_named(state, host_name)
    return testbed_ssh.run_on(host.address, host.ssh_port, command, saved.known_hosts_path())


def on_host_given(
    state: saved.State, host_name: str, command: str, stdin: bytes
) -> tuple[int, str]:
    """Like on_host, with STDIN fed to COMMAND (its output and errors together): a file for a
    member's command without a copy of it on the host, where a member could plant a link."""
    host = host_named(state, host_name)
    client = testbed_ssh.connect(
        host.address, host.ssh_port, saved.known_hosts_path(), testbed_ssh.panel_key()
    )
    try:
        return ssh_run(client, command, stdin)
    finally:
        client.close()


@dataclass
class Key:
    """An Ed25519 key pair: paramiko's private key and the OpenSSH public key line."""

    private: paramiko.PKey
    public_line: str


def new_key(comment: str) -> Key:
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return Key(
        paramiko.Ed25519Key.from_private_key(io.StringIO(pem)), f"{public.decode()} {comment}"
    )


def ssh_login(
    host: saved.Host, user: str, key: Key | None = None, password: str | None = None
) -> paramiko.SSHClient:
    """An SSH connection to HOST as USER (as a member logs in), the host's key checked against
    the testbed's known_hosts."""
    client = paramiko.SSHClient()
    client.load_host_keys(str(saved.known_hosts_path()))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            host.address,
            port=host.ssh_port,
            username=user,
            pkey=key.private if key else None,
            password=password,
            allow_agent=False,
            look_for_keys=False,
            timeout=SSH_TIMEOUT,
            banner_timeout=SSH_TIMEOUT,
            auth_timeout=SSH_TIMEOUT,
        )
    except BaseException:
        client.close()
        raise
    return client


def ssh_run(client: paramiko.SSHClient, command: str, stdin: bytes = b"") -> tuple[int, str]:
    """Exit status and output (standard output and error together) of COMMAND, given STDIN."""
    channel = client.get_transport().open_session(timeout=SSH_TIMEOUT)
    with channel:
        channel.settimeout(SSH_TIMEOUT)
        channel.set_combine_stderr(True)
        channel.exec_command(command)
        if stdin:
            channel.sendall(stdin)
        channel.shutdown_write()
        output = channel.makefile("rb").read().decode(errors="replace")
        return channel.recv_exit_status(), output


@dataclass
class Response:
    status: int
    headers: Message
    body: str


class _NamedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address, with SNI and certificate check for another name."""

    def __init__(self, address: str, server_name: str, context: ssl.SSLContext, timeout: float):
        super().__init__(address, 443, timeout=timeout, context=context)
        self.server_name = server_name
        self.tls_context = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self.tls_context.wrap_socket(self.sock, server_hostname=self.server_name)


def http_get(
    address: str,
    host_header: str,
    path: str = "/",
    https: bool = False,
    ca_file: str | Path | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = HTTP_TIMEOUT,
) -> Response:
    """GET PATH from ADDRESS for the site HOST_HEADER, redirects not followed, with HEADERS
    besides Host, waiting up to TIMEOUT seconds for each read. HTTPS sends the name as SNI and
    verifies the certificate for it against CA_FILE (required: no system CA applies to a
    testbed site)."""
    return http_request(address, host_header, "GET", path, https, ca_file, headers, timeout=timeout)


def http_post(
    address: str, host_header: str, path: str, form: dict[str, str], headers: dict[str, str]
) -> Response:
    """POST FORM (URL-encoded, as a browser sends a form) over HTTP, like http_get."""
    return http_request(
        address,
        host_header,
        "POST",
        path,
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        body=urllib.parse.urlencode(form).encode(),
    )


def http_request(
    address: str,
    host_header: str,
    method: str,
    path: str,
    https: bool = False,
    ca_file: str | Path | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = HTTP_TIMEOUT,
) -> Response:
    if https:
        assert ca_file is not None, "HTTPS to a testbed host needs the CA to verify against"
        context = ssl.create_default_context(cafile=str(ca_file))
        connection: http.client.HTTPConnection = _NamedHTTPSConnection(
            address, host_header, context, timeout
        )
    else:
        connection = http.client.HTTPConnection(address, 80, timeout=timeout)
    try:
        sent = {**(headers or {}), "Host": host_header}
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        return Response(response.status, response.headers, text)
    finally:
        connection.close()


@dataclass
class AcmeServer:
    """A running Pebble and the resolver its validation authority asks."""

    directory_url: str
    ca_cert_pem: str  # the CA of Pebble's own HTTPS listener: what certbot must trust
    folder: Path
    dns_port: int
    dnsmasq: subprocess.Popen
    pebble: subprocess.Popen
    names: dict[str, str] = field(default_factory=dict)

    @property
    def ca_file(self) -> Path:
        return self.folder / "listener-ca.pem"

    def issued_root_pem(self) -> str:
        """The root that signs the certificates Pebble issues (a new one every start)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        connection = http.client.HTTPSConnection(
            ACME_ADDRESS, ACME_MANAGEMENT_PORT, timeout=HTTP_TIMEOUT, context=context
        )
        try:
            connection.request("GET", "/roots/0")
            response = connection.getresponse()
            body = response.read().decode()
            assert response.status == 200, f"{response.status}: {body}"
            return body
        finally:
            connection.close()

    def add_name(self, name: str, ip: str) -> None:
        """From now on NAME resolves to IP for Pebble's validation authority."""
        self.names[name] = str(ipaddress.ip_address(ip))
        hosts = "".join(f"{address} {host}\n" for host, address in sorted(self.names.items()))
        (self.folder / "hosts").write_text(hosts)
        # dnsmasq rereads its --addn-hosts files on SIGHUP.
        self.dnsmasq.send_signal(signal.SIGHUP)
        poll(lambda: self.resolve(name) == self.names[name], START_TIMEOUT, f"{name} not served")

    def resolve(self, name: str) -> str | None:
        """NAME's address as the resolver answers it now (None: no address)."""
        query = dns.message.make_query(name, dns.rdatatype.A)
        try:
            answer = dns.query.udp(query, "127.0.0.1", port=self.dns_port, timeout=1)
        except (OSError, dns.exception.Timeout):
            return None
        for rrset in answer.answer:
            for record in rrset:
                return record.to_text()
        return None


# The port of a local apt repository (panel_testbed.mirror) on a lane's gateway.
MIRROR_PORT = 8765


@contextlib.contextmanager
def served_repository(folder: Path) -> Iterator[str]:
    """FOLDER (a local apt repository) over HTTP on the lane's gateway, which only the lane's
    hosts reach; its URL."""
    address = str(network.GATEWAY)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            "--bind",
            address,
            "--directory",
            str(folder),
            str(MIRROR_PORT),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                connection = http.client.HTTPConnection(address, MIRROR_PORT, timeout=2)
                connection.request("HEAD", "/Release")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the local repository did not answer"
            time.sleep(0.2)
        yield f"http://{address}:{MIRROR_PORT}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def acme_server() -> Iterator[AcmeServer]:
    """Pebble listening on the testbed bridge only (ACME on 14000, management on 15000),
    validating HTTP-01 on port 80 of the address the resolver gives; stopped again at the end.

    Needs the bridge, so a testbed must be up. Debian's pebble package does not ship the test CA
    of Pebble's repository: the listener's CA and certificate are made here, fresh per start."""
    folder = Path(tempfile.mkdtemp(prefix="panel-acme-"))
    # dnsmasq rereads the hosts file after it dropped root.
    folder.chmod(0o755)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
        ca_pem = _listener_certificates(folder)
        (folder / "hosts").write_text("")
        (folder / "hosts").chmod(0o644)
        dns_port = free_dns_port()
        dnsmasq = _start(
            folder / "dnsmasq.log",
            [
                "dnsmasq",
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--pid-file=",
                "--no-resolv",
                "--no-hosts",
                f"--addn-hosts={folder / 'hosts'}",
                # Names not in the hosts file do not exist (rather than a refused query).
                "--local=/#/",
                f"--port={dns_port}",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--log-facility=-",
                "--log-queries",
            ],
            {},
        )
        cleanup.callback(_stop, dnsmasq)
        config = {
            "pebble": {
                "listenAddress": f"{ACME_ADDRESS}:{ACME_PORT}",
                "managementListenAddress": f"{ACME_ADDRESS}:{ACME_MANAGEMENT_PORT}",
                "certificate": str(folder / "listener.pem"),
                "privateKey": str(folder / "listener.key"),
                "httpPort": 80,
                "tlsPort": 443,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": False,
            }
        }
        (folder / "pebble.json").write_text(json.dumps(config, indent=2))
        pebble = _start(
            folder / "pebble.log",
            [
                "pebble",
                "-config",
                str(folder / "pebble.json"),
                "-dnsserver",
                f"127.0.0.1:{dns_port}",
            ],
            # No waits before validation and no nonces rejected at random (certbot copes with
            # both, they only make the tests slower); every order validated afresh, never an
            # earlier authorization reused, so each issuance really fetches its challenge.
            {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "0"},
        )
        cleanup.callback(_stop, pebble)
        server = AcmeServer(
            f"https://{ACME_ADDRESS}:{ACME_PORT}/dir",
            ca_pem,
            folder,
            dns_port,
            dnsmasq,
            pebble,
        )
        try:
            poll(lambda: _answers(server, dnsmasq, pebble), START_TIMEOUT, "no ACME server")
        except AssertionError as exc:
            logs = f"{_tail(folder / 'pebble.log')}\n{_tail(folder / 'dnsmasq.log')}"
            raise AssertionError(f"{exc}\n{logs}") from None
        yield server


def _listener_certificates(folder: Path) -> str:
    """A CA and, signed by it, a certificate for the bridge address; returns the CA as PEM."""
    ca = TestCa(folder, "panel tests ACME listener CA", "listener-ca.pem")
    ca.server(ACME_ADDRESS, stem="listener")
    return Path(ca.ca_file).read_text()


def free_dns_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP (dnsmasq takes both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket() as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


def _start(log: Path, command: list[str], env: dict[str, str]) -> subprocess.Popen:
    with log.open("wb") as handle:
        return subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **env},
        )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def _answers(server: AcmeServer, *processes: subprocess.Popen) -> bool:
    for process in processes:
        assert process.poll() is None, f"{process.args[0]} exited with {process.returncode}"
    context = ssl.create_default_context(cafile=str(server.ca_file))
    connection = http.client.HTTPSConnection(
        ACME_ADDRESS, ACME_PORT, timeout=HTTP_TIMEOUT, context=context
    )
    try:
        connection.request("GET", "/dir")
        ready = connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()
    probe = dns.message.make_query("probe.invalid", dns.rdatatype.A)
    try:
        dns.query.udp(probe, "127.0.0.1", port=server.dns_port, timeout=1)
    except (OSError, dns.exception.Timeout):
        return False
    return ready


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return f"--- {path.name}\n{path.read_text(errors='replace')[-size:]}"
    except OSError:
        return f"--- {path.name}: none"


def tls_certificate(address: str, server_name: str, ca_file: str | Path) -> dict:
    """The certificate ADDRESS:443 presents for SERVER_NAME (SNI), verified against CA_FILE for
    that name, as ssl's getpeercert() describes it (serialNumber, notAfter, subjectAltName)."""
    context = ssl.create_default_context(cafile=str(ca_file))
    with (
        socket.create_connection((address, 443), timeout=HTTP_TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        return tls.getpeercert()
