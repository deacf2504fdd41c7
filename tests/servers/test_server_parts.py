"""Users with their SSH keys and open ports of a server: each change re-runs server.yml with
the whole desired state; bad input is refused clearly and changes nothing."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from server_support import counts, key_line, settle

from panel.core.audit import acting
from panel.extensions import db
from panel.provisioning.models import Job
from panel.servers import operations
from panel.servers.models import ServerKey, ServerUser
from panel.servers.names import clean_public_key


def _rsa_line(bits: int) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def test_users_keys_and_ports_reach_the_host_with_the_whole_desired_state(api_as, make_server):
    server = make_server(size="medium")
    client, _ = api_as(server.reseller)
    first, second = key_line("anna@laptop"), key_line()

    added = client.post(
        f"/api/v1/servers/{server.id}/users",
        json={"name": "anna", "sudo": True, "keys": [first]},
    )
    assert added.status_code == 202, added.json
    assert added.json["keys"][0]["comment"] == "anna@laptop"
    assert added.json["keys"][0]["fingerprint"].startswith("SHA256:")
    settle(db.session.get(Job, added.json["job_id"]))
    key = client.post(f"/api/v1/server-users/{added.json['id']}/keys", json={"public_key": second})
    assert key.status_code == 202, key.json
    settle(db.session.get(Job, key.json["job_id"]))
    opened = client.post(f"/api/v1/servers/{server.id}/firewall", json={"port": 8080})
    assert opened.status_code == 202, opened.json

    job = db.session.get(Job, opened.json["job_id"])
    assert job.playbook == "server.yml"
    assert job.extra_vars["server_users"] == [
        {"name": "anna", "sudo": True, "keys": [first, second]}
    ]
    assert job.extra_vars["server_open_ports"] == [{"port": 8080, "proto": "tcp"}]
    db.session.expire_all()
    assert server.state == "pending"

    settle(job)
    removed = client.delete(f"/api/v1/server-keys/{key.json['id']}")
    assert removed.status_code == 202
    settle(db.session.get(Job, removed.json["job_id"]))
    closed = client.delete(f"/api/v1/server-ports/{opened.json['id']}")
    settle(db.session.get(Job, closed.json["job_id"]))
    gone = client.delete(f"/api/v1/server-users/{added.json['id']}")
    assert gone.status_code == 202
    last = db.session.get(Job, gone.json["job_id"])
    assert last.extra_vars["server_users"] == [] and last.extra_vars["server_open_ports"] == []
    assert db.session.get(ServerUser, added.json["id"]) is None


def test_one_change_at_a_time(api_as, make_server):
    server = make_server()
    client, _ = api_as(server.reseller)
    assert (
        client.post(f"/api/v1/servers/{server.id}/users", json={"name": "anna"}).status_code == 202
    )
    before = counts()

    answer = client.post(f"/api/v1/servers/{server.id}/users", json={"name": "bert"})

    assert answer.status_code == 409
    assert "still being made" in answer.json["error"]["message"]
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "status", "field", "message"),
    [
        ({"name": "Anna"}, 422, "name", "starting with a letter"),
        ({"name": "root"}, 422, "name", "belongs to the system"),
        ({"name": "anna", "sudo": True}, 422, "sudo", "The size small allows no sudo."),
        ({"name": "anna", "keys": ["ssh-ed25519 AAAAnotakey"]}, 422, "keys", "Key 1: Not"),
        ({"name": "anna", "keys": ["hello world"]}, 422, "keys", "Key 1: Not an OpenSSH"),
        ({"name": "anna", "keys": [_rsa_line(2048)]}, 422, "keys", "3072 bits"),
        ({"name": "anna", "keys": [key_line("a\u200bb")]}, 422, "keys", "Key 1: Not"),
        ({"name": "anna", "keys": {"a": 1}}, 422, "keys", "A list of public key lines."),
        ({"name": "dora"}, 409, "name", "Taken."),
    ],
)
def test_bad_users_change_nothing(api_as, make_server, body, status, field, message):
    server = make_server(size="small")
    server.users.append(ServerUser(name="dora"))
    db.session.commit()
    client, _ = api_as(server.reseller)
    before = counts()

    answer = client.post(f"/api/v1/servers/{server.id}/users", json=body)

    assert answer.status_code == status, answer.json
    assert any(message in text for text in answer.json["error"]["fields"][field])
    assert counts() == before


def test_the_same_key_twice_is_refused(api_as, make_server):
    server = make_server()
    line = key_line()
    user = ServerUser(name="anna", keys=[])
    server.users.append(user)
    db.session.commit()
    client, _ = api_as(server.reseller)
    _, fingerprint, _ = clean_public_key("key", line)
    user.keys.append(ServerKey(public_key=line, fingerprint=fingerprint))
    db.session.commit()
    before = counts()

    twice = client.post(
        f"/api/v1/servers/{server.id}/users", json={"name": "bert", "keys": [line, line]}
    )
    again = client.post(f"/api/v1/server-users/{user.id}/keys", json={"public_key": line})
    malformed = client.post(
        f"/api/v1/server-users/{user.id}/keys", json={"public_key": "ssh-rsa !!!"}
    )

    assert (twice.status_code, twice.json["error"]["fields"]) == (
        422,
        {"keys": ["The same key twice."]},
    )
    assert (again.status_code, again.json["error"]["fields"]) == (409, {"public_key": ["Taken."]})
    assert malformed.status_code == 422
    assert malformed.json["error"]["fields"] == {"public_key": ["Not an OpenSSH public key line."]}
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"port": 0}, 422, "A port from 1 to 65535."),
        ({"port": 65536}, 422, "A port from 1 to 65535."),
        ({"port": 25}, 422, "The size small opens only these ports: 8000-8999."),
        ({"port": 8080, "proto": "sctp"}, 422, "Choose one of: tcp, udp."),
        ({"port": 8443}, 409, "Taken."),
    ],
)
def test_bad_ports_change_nothing(api_as, make_server, body, status, message):
    server = make_server(size="small")
    client, _ = api_as(server.reseller)
    settle(
        db.session.get(
            Job,
            client.post(f"/api/v1/servers/{server.id}/firewall", json={"port": 8443}).json[
                "job_id"
            ],
        )
    )
    before = counts()

    answer = client.post(f"/api/v1/servers/{server.id}/firewall", json=body)

    assert answer.status_code == status, answer.json
    assert message in str(answer.json["error"]["fields"])
    assert counts() == before


def test_a_customer_manages_users_and_keys_but_not_the_firewall(api_as, make_server):
    server = make_server()
    client, _ = api_as(server.customer)

    added = client.post(f"/api/v1/servers/{server.id}/users", json={"name": "anna"})
    assert added.status_code == 202, added.json
    settle(db.session.get(Job, added.json["job_id"]))
    key = client.post(
        f"/api/v1/server-users/{added.json['id']}/keys", json={"public_key": key_line()}
    )
    assert key.status_code == 202

    assert (
        client.post(f"/api/v1/servers/{server.id}/firewall", json={"port": 8080}).status_code == 403
    )
    assert (
        client.post(f"/api/v1/servers/{server.id}/actions", json={"action": "reboot"}).status_code
        == 403
    )
    assert client.delete(f"/api/v1/servers/{server.id}", json={"mode": "wipe"}).status_code == 403
    assert [row["id"] for row in client.get("/api/v1/servers").json] == [server.id]


def test_no_changes_to_a_requested_server(api_as, make_reseller):
    reseller, customer = make_reseller()
    with acting("cli", reseller):
        server, _ = operations.request_server(reseller, customer.id, "small", [])
    client, _ = api_as(reseller)
    before = counts()

    answer = client.post(f"/api/v1/servers/{server.id}/users", json={"name": "anna"})

    assert answer.status_code == 409
    assert answer.json["error"]["message"] == "Not possible while the server is requested."
    assert counts() == before
