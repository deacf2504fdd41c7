"""Managed servers end to end: a reseller asks for a server for its customer through the API, an
admin approves, and the panel's worker sets it up on a real testbed host of the pool; users and
keys, the firewall, the drift check, a reboot and the release all reach the host.

One module-scoped live panel with one `managed` host; the tests run in file order, each building
on what the one before left."""

import io
import socket
import time

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from e2e_support import api_client_of, live_panel
from polling import poll

from panel_testbed import PREFIX

pytestmark = pytest.mark.testbed

HOST = f"{PREFIX}1"
JOB_TIMEOUT = 300


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with live_panel(tmp_path_factory.mktemp("live"), "sqlite", hosts=1, role="managed") as panel:
        yield panel


@pytest.fixture(scope="module")
def reseller(live):
    admin = live.client()
    member = admin.post(
        "/api/v1/members",
        json={"name": "Netzwerk eG IT", "email": "it@example.org", "prefix": "nit"},
    ).json
    booked = admin.post(
        f"/api/v1/members/{member['id']}/shares",
        json={"kind": "subscription", "count": 2, "value_date": "2026-01-01"},
    )
    assert booked.status_code == 201, booked.json
    made = admin.patch(f"/api/v1/users/{member['user_id']}", json={"role": "reseller"})
    assert made.status_code == 200, made.json
    return api_client_of(live, "it@example.org")


@pytest.fixture(scope="module")
def customer(live, reseller):
    made = reseller.post(
        "/api/v1/users",
        json={"email": "kunde@example.org", "role": "customer", "name": "Kunde GmbH"},
    )
    assert made.status_code == 201, made.json
    return made.json


@pytest.fixture(scope="module")
def server(live, reseller, customer):
    asked = reseller.post(
        "/api/v1/servers", json={"customer_id": customer["id"], "size": "small", "stacks": ["web"]}
    )
    assert asked.status_code == 202, asked.json
    assert asked.json["state"] == "requested"
    approved = live.client().post(f"/api/v1/servers/{asked.json['id']}/approve")
    assert approved.status_code == 202, approved.json
    live.wait_for_job(approved.json["job_id"], "successful", timeout=JOB_TIMEOUT)
    return reseller.get(f"/api/v1/servers/{asked.json['id']}").json


@pytest.fixture(scope="module")
def user_key():
    return Ed25519PrivateKey.generate()


def public_line(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def login(live, user: str, key: Ed25519PrivateKey | None = None, password: str | None = None):
    """An SSH session on the server as USER, its host key checked against the testbed's."""
    booted = live.hosts[HOST]
    client = paramiko.SSHClient()
    client.load_host_keys(str(live.folder / "instance" / "testbed" / "known_hosts"))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    pkey = None
    if key is not None:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        ).decode()
        pkey = paramiko.Ed25519Key.from_private_key(io.StringIO(pem))
    client.connect(
        booted.address,
        port=booted.ssh_port,
        username=user,
        pkey=pkey,
        password=password,
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    return client


def run_as(live, user: str, key: Ed25519PrivateKey, command: str) -> str:
    client = login(live, user, key)
    try:
        _, stdout, _ = client.exec_command(command, timeout=20)
        return stdout.read().decode()
    finally:
        client.close()


def done(live, answer) -> dict:
    assert answer.status_code == 202, answer.json
    return live.wait_for_job(answer.json["job_id"], "successful", timeout=JOB_TIMEOUT)


def answers(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2) as connection:
            connection.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return connection.recv(12).startswith(b"HTTP/")
    except OSError:
        return False


def test_an_approved_server_is_set_up_on_a_pool_host(live, server):
    assert server["state"] == "active"
    assert server["host"] == HOST
    assert live.on_host(HOST, "hostname") == (0, f"{server['hostname']}\n")
    status, _ = live.on_host(HOST, "nft list ruleset | grep -q 'policy drop'")
    assert status == 0
    page = "<?php echo 'php ', PHP_MAJOR_VERSION;"
    assert live.on_host(HOST, f'echo "{page}" > /var/www/html/index.php')[0] == 0
    status, body = live.on_host(HOST, "curl -s http://127.0.0.1/index.php")
    assert status == 0 and body.startswith("php 8"), body


def test_a_request_the_shares_do_not_cover_is_refused(live, reseller, customer, server):
    servers_before = len(live.client().get("/api/v1/servers").json)
    refused = reseller.post(
        "/api/v1/servers", json={"customer_id": customer["id"], "size": "small", "stacks": []}
    )
    assert refused.status_code == 409, refused.json
    assert "share" in refused.json["error"]["message"]
    unknown = reseller.post(
        "/api/v1/servers", json={"customer_id": customer["id"], "size": "huge", "stacks": []}
    )
    assert unknown.status_code == 422, unknown.json
    assert len(live.client().get("/api/v1/servers").json) == servers_before


def test_a_user_with_a_key_logs_in_and_passwords_are_refused(live, reseller, server, user_key):
    added = reseller.post(
        f"/api/v1/servers/{server['id']}/users",
        json={"name": "anna", "keys": [public_line(user_key)]},
    )
    done(live, added)
    assert run_as(live, "anna", user_key, "id -un") == "anna\n"
    for user in ("anna", "root"):
        with pytest.raises(paramiko.AuthenticationException):
            login(live, user, password="correct horse battery staple")
    duplicate = reseller.post(f"/api/v1/servers/{server['id']}/users", json={"name": "anna"})
    assert duplicate.status_code in (409, 422), duplicate.json


def test_an_opened_port_answers_and_a_closed_one_does_not(live, reseller, server):
    for port in (8080, 8081):
        live.on_host(
            HOST,
            f"systemd-run --unit=listen-{port} python3 -m http.server {port} --bind 0.0.0.0",
        )
    address = live.hosts[HOST].address
    done(live, reseller.post(f"/api/v1/servers/{server['id']}/firewall", json={"port": 8080}))
    poll(lambda: answers(address, 8080), 10, "the opened port answering")
    assert not answers(address, 8081)
    outside = reseller.post(f"/api/v1/servers/{server['id']}/firewall", json={"port": 80})
    assert outside.status_code == 422, outside.json


def test_the_drift_check_reports_a_change_made_by_hand(live, reseller, server):
    clean = done(
        live, reseller.post(f"/api/v1/servers/{server['id']}/actions", json={"action": "drift"})
    )
    assert clean["stats"]["changed"] == {}, clean["stats"]
    drop_in = "/etc/ssh/sshd_config.d/00-panel-server.conf"
    assert live.on_host(HOST, f"echo 'PasswordAuthentication yes' >> {drop_in}")[0] == 0
    done(live, reseller.post(f"/api/v1/servers/{server['id']}/actions", json={"action": "drift"}))
    drift = reseller.get(f"/api/v1/servers/{server['id']}/drift").json
    assert drift["changes"], drift
    assert any("PasswordAuthentication" in change["stdout"] for change in drift["changes"]), drift
    # The check changed nothing: the hand-made change is still there until the next run.
    assert live.on_host(HOST, f"grep -c 'PasswordAuthentication yes' {drop_in}") == (0, "1\n")
    port = reseller.post(f"/api/v1/servers/{server['id']}/firewall", json={"port": 8090})
    done(live, port)
    assert live.on_host(HOST, f"grep -c 'PasswordAuthentication yes' {drop_in}")[1] == "0\n"


def test_a_reboot_job_waits_for_the_server(live, reseller, server):
    before = live.on_host(HOST, "cat /proc/sys/kernel/random/boot_id")[1]
    started = time.monotonic()
    done(live, reseller.post(f"/api/v1/servers/{server['id']}/actions", json={"action": "reboot"}))
    assert time.monotonic() - started < JOB_TIMEOUT
    after = live.on_host(HOST, "cat /proc/sys/kernel/random/boot_id")[1]
    assert after != before


def test_release_wipes_the_server_and_returns_the_host_to_the_pool(live, reseller, server):
    released = reseller.delete(f"/api/v1/servers/{server['id']}", json={"mode": "wipe"})
    done(live, released)
    shown = reseller.get(f"/api/v1/servers/{server['id']}").json
    assert shown["state"] == "released"
    assert live.on_host(HOST, "id anna")[0] != 0
    assert live.on_host(HOST, "hostname") == (0, f"{HOST}\n")
    assert live.on_host(HOST, "dpkg -s nginx >/dev/null 2>&1")[0] != 0
