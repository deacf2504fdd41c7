"""Requesting a server for a customer, the share rule, sizes, approval and allocation onto a
free pool host of the right size."""

import pytest
from server_support import counts, settle
from sqlalchemy import select

from panel.core.audit import AuditEntry, acting
from panel.extensions import db
from panel.hosts.models import HostState
from panel.provisioning.models import Job, JobStatus
from panel.servers import operations
from panel.servers.models import Server


def test_a_request_waits_for_approval_then_gets_a_pool_host(api_as, make_reseller, make_pool_host):
    reseller, customer = make_reseller()
    host = make_pool_host()
    client, _ = api_as(reseller)

    made = client.post(
        "/api/v1/servers",
        json={"customer_id": customer.id, "size": "small", "stacks": ["mariadb", "web"]},
    )

    assert made.status_code == 202, made.json
    assert made.json["state"] == "requested"
    assert made.json["job_id"] is None and made.json["host"] is None
    server = db.session.get(Server, made.json["id"])
    assert (server.member_id, server.reseller_id, server.customer_id) == (
        reseller.member_id,
        reseller.id,
        customer.id,
    )
    assert server.stacks == ["web", "mariadb"]

    admin, _ = api_as("admin")
    approved = admin.post(f"/api/v1/servers/{server.id}/approve")

    assert approved.status_code == 202, approved.json
    assert approved.json["host"] == host.name
    assert approved.json["state"] == "pending"
    job = db.session.get(Job, approved.json["job_id"])
    assert (job.action, job.playbook, job.hosts) == ("server", "server.yml", [host.name])
    assert job.extra_vars["server_hostname"] == f"srv{server.id}"
    assert job.extra_vars["server_stacks"] == ["web", "mariadb"]
    assert job.extra_vars["server_users"] == [] and job.extra_vars["server_open_ports"] == []
    assert "base_panel_ssh_sources" in job.extra_vars
    db.session.expire_all()
    assert server.allocated_at is not None

    settle(job)
    db.session.expire_all()
    assert server.state == "active"
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "Server")
    ).all()
    assert {"server.request", "server.approve", "server.active"} <= set(actions)


def test_auto_allocation_sets_the_server_up_at_once(
    api_as, make_reseller, make_pool_host, app, monkeypatch
):
    monkeypatch.setitem(app.config, "SERVER_ALLOCATION", "auto")
    reseller, customer = make_reseller()
    host = make_pool_host()
    client, _ = api_as(reseller)

    made = client.post("/api/v1/servers", json={"customer_id": customer.id, "size": "large"})

    assert made.status_code == 202, made.json
    assert (made.json["state"], made.json["host"]) == ("pending", host.name)
    assert db.session.get(Job, made.json["job_id"]).action == "server"


def test_auto_allocation_without_a_free_host_changes_nothing(
    api_as, make_reseller, make_pool_host, app, monkeypatch
):
    monkeypatch.setitem(app.config, "SERVER_ALLOCATION", "auto")
    reseller, customer = make_reseller()
    make_pool_host(cpus=1, memory_mib=1024)
    client, _ = api_as(reseller)
    before = counts()

    answer = client.post("/api/v1/servers", json={"customer_id": customer.id, "size": "large"})

    assert answer.status_code == 409
    assert "No free pool host has 4 CPUs" in answer.json["error"]["message"]
    assert counts() == before


def test_the_share_rule_counts_the_members_servers(api_as, make_reseller, make_server, app):
    reseller, customer = make_reseller(shares=3)
    make_server(reseller=reseller, customer=customer)
    client, _ = api_as(reseller)
    before = counts()

    answer = client.post("/api/v1/servers", json={"customer_id": customer.id, "size": "small"})

    assert answer.status_code == 409
    assert answer.json["error"]["message"] == (
        "With this server the member runs servers that need 4 cooperative shares; it holds 3,"
        " 1 missing."
    )
    assert counts() == before


def test_a_released_server_no_longer_counts_for_the_shares(make_reseller, make_server):
    reseller, customer = make_reseller(shares=2)
    server = make_server(reseller=reseller, customer=customer)
    with acting("cli"):
        _, job = operations.release_server(server, "wipe")
    settle(job)

    with acting("cli", reseller):
        again, _ = operations.request_server(reseller, customer.id, "small", [])

    assert again.state == "requested"


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"size": "huge"}, 422, "size"),
        ({"size": 3}, 422, "size"),
        ({"stacks": ["web", "mail"]}, 422, "stacks"),
        ({"stacks": ["web", "web"]}, 422, "stacks"),
        ({"customer_id": None}, 422, "customer_id"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
def test_bad_requests_change_nothing(api_as, make_reseller, payload, status, field):
    reseller, customer = make_reseller()
    client, _ = api_as(reseller)
    body = {"customer_id": customer.id, "size": "small", "stacks": [], **payload}
    before = counts()

    answer = client.post("/api/v1/servers", json=body)

    assert answer.status_code == status, answer.json
    assert field in answer.json["error"]["fields"]
    assert counts() == before


def test_a_reseller_requests_only_for_its_own_customers(api_as, make_reseller):
    reseller, _ = make_reseller()
    _, others_customer = make_reseller()
    client, _ = api_as(reseller)
    before = counts()

    answer = client.post(
        "/api/v1/servers", json={"customer_id": others_customer.id, "size": "small"}
    )

    assert answer.status_code == 422
    assert answer.json["error"]["fields"] == {"customer_id": ["Not one of your customers."]}
    assert counts() == before


def test_approval_needs_a_free_host_that_meets_the_size(api_as, make_reseller, make_pool_host):
    reseller, customer = make_reseller()
    with acting("cli", reseller):
        server, _ = operations.request_server(reseller, customer.id, "medium", [])
    make_pool_host(cpus=1)  # too few CPUs
    make_pool_host(state=HostState.FAILED)  # not ready
    taken = make_pool_host()
    held = Server(
        member_id=reseller.member_id,
        reseller_id=reseller.id,
        customer_id=customer.id,
        size="small",
        stacks=[],
        host_id=taken.id,
        state="active",
    )
    db.session.add(held)
    db.session.commit()
    admin, _ = api_as("admin")
    before = counts()

    answer = admin.post(f"/api/v1/servers/{server.id}/approve")

    assert answer.status_code == 409
    assert "ask the office" in answer.json["error"]["message"]
    assert counts() == before


def test_the_smallest_fitting_host_is_chosen(make_reseller, make_pool_host):
    reseller, customer = make_reseller()
    make_pool_host(cpus=16)
    small = make_pool_host(cpus=2, memory_mib=4096, disk_gib=80)
    make_pool_host(cpus=4)
    with acting("cli", reseller):
        server, _ = operations.request_server(reseller, customer.id, "medium", [])
    with acting("cli"):
        operations.approve_server(server)

    assert server.host_id == small.id


def test_only_admins_approve_and_only_requests(api_as, make_server):
    server = make_server()
    reseller_client, _ = api_as(server.reseller)
    admin, _ = api_as("admin")

    assert reseller_client.post(f"/api/v1/servers/{server.id}/approve").status_code == 403
    again = admin.post(f"/api/v1/servers/{server.id}/approve")
    assert again.status_code == 409
    assert again.json["error"]["message"] == "Only a requested server can be approved."


def test_a_failed_set_up_leaves_the_server_failed_with_a_retry(
    api_as, make_reseller, make_pool_host
):
    reseller, customer = make_reseller()
    make_pool_host()
    with acting("cli", reseller):
        server, _ = operations.request_server(reseller, customer.id, "small", [])
    with acting("cli"):
        _, job = operations.approve_server(server)
    settle(job, JobStatus.FAILED, reason="sshd -t failed")
    db.session.expire_all()
    assert (server.state, server.state_reason) == ("failed", "sshd -t failed")

    client, _ = api_as(reseller)
    retried = client.post(f"/api/v1/jobs/{job.id}/retry")

    assert retried.status_code == 202, retried.json
    db.session.expire_all()
    assert server.state == "pending" and server.last_job_id == retried.json["id"]
