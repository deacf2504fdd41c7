"""Actions on a server (reboot, upgrade, restart, drift check), its release back to the pool
with the archive or wiped, and the archive's purge."""

from datetime import timedelta
from pathlib import Path

import pytest
from server_support import counts, settle

from panel.core.audit import acting
from panel.core.errors import Conflict
from panel.core.models import utcnow
from panel.extensions import db
from panel.provisioning import runner
from panel.provisioning.models import Job, JobEvent, JobStatus
from panel.provisioning.runner import EventSink
from panel.servers import maintenance, operations


@pytest.mark.parametrize(
    ("body", "action", "playbook", "variables"),
    [
        ({"action": "reboot"}, "reboot", "reboot.yml", {}),
        ({"action": "upgrade"}, "apt-upgrade", "apt-upgrade.yml", {}),
        (
            {"action": "restart", "service": "php-fpm"},
            "server-restart",
            "server-restart.yml",
            {"server_service": "php-fpm"},
        ),
    ],
)
def test_actions_queue_their_playbooks_on_the_servers_host(
    api_as, make_server, body, action, playbook, variables
):
    server = make_server(stacks=["web"])
    client, _ = api_as(server.reseller)

    answer = client.post(f"/api/v1/servers/{server.id}/actions", json=body)

    assert answer.status_code == 202, answer.json
    job = db.session.get(Job, answer.json["job_id"])
    assert (job.action, job.playbook, job.hosts) == (action, playbook, [server.host.name])
    assert (job.resource_type, job.resource_id) == ("Server", server.id)
    assert job.extra_vars == variables
    settle(job, JobStatus.FAILED, reason="no")
    db.session.expire_all()
    assert server.state == "active"  # an action's end leaves the server's state alone


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"action": "explode"}, "action", "Choose one of: reboot, upgrade, restart, drift."),
        ({"action": "restart", "service": "postgresql"}, "service", "no postgresql stack"),
        ({"action": "restart", "service": "cron"}, "service", "Choose one of"),
        ({"action": "restart"}, "service", "Choose one of"),
    ],
)
def test_bad_actions_change_nothing(api_as, make_server, body, field, message):
    server = make_server(stacks=["web"])
    client, _ = api_as(server.reseller)
    before = counts()

    answer = client.post(f"/api/v1/servers/{server.id}/actions", json=body)

    assert answer.status_code == 422
    assert message in answer.json["error"]["fields"][field][0]
    assert counts() == before


class FakeRunner:
    """ansible_runner.run, remembering its arguments."""

    status, rc = "successful", 0

    def __init__(self):
        self.given = {}

    def __call__(self, **arguments):
        self.given = arguments
        return self


@pytest.mark.parametrize(("action", "cmdline"), [("drift", "--check --diff"), ("reboot", None)])
def test_only_the_drift_check_runs_ansible_in_check_mode(
    make_server, monkeypatch, tmp_path, action, cmdline
):
    server = make_server()
    with acting("cli"):
        job = maintenance.run_action(server, action)
    fake = FakeRunner()
    monkeypatch.setattr(runner.ansible_runner, "run", fake)
    monkeypatch.setattr(runner, "panel_key_pem", lambda: "key")

    runner.execute(job, tmp_path, {}, EventSink(job.id, []), heartbeat=None)

    assert fake.given["playbook"] == job.playbook
    assert fake.given.get("cmdline") == cmdline


def test_the_drift_report_lists_the_tasks_the_check_found_changed(api_as, make_server):
    server = make_server()
    client, _ = api_as(server.reseller)
    assert client.get(f"/api/v1/servers/{server.id}/drift").json["changes"] == []

    answer = client.post(f"/api/v1/servers/{server.id}/actions", json={"action": "drift"})

    job = db.session.get(Job, answer.json["job_id"])
    assert (job.action, job.playbook) == ("server-drift", "server.yml")
    assert job.extra_vars["server_hostname"] == server.hostname
    db.session.add_all(
        [
            JobEvent(job_id=job.id, counter=1, event="runner_on_ok", task="Gather", stdout="ok"),
            # --diff: the diff comes in an event of its own, before the task's result.
            JobEvent(
                job_id=job.id,
                counter=2,
                event="runner_on_file_diff",
                task="Harden sshd",
                stdout="--- before\n+++ after\n-PasswordAuthentication yes",
            ),
            JobEvent(
                job_id=job.id,
                counter=3,
                event="runner_on_ok",
                task="Harden sshd",
                changed=True,
                stdout="changed: [pool1]",
            ),
        ]
    )
    settle(job)
    report = client.get(f"/api/v1/servers/{server.id}/drift").json

    assert report["job_id"] == job.id and report["status"] == "successful"
    assert [change["task"] for change in report["changes"]] == ["Harden sshd"] * 2
    assert "+++ after" in report["changes"][0]["stdout"]


def test_release_with_archive_keeps_it_for_the_grace_period_then_purges_it(
    api_as, make_server, app
):
    server = make_server()
    host_name = server.host.name
    client, _ = api_as(server.reseller)

    answer = client.delete(f"/api/v1/servers/{server.id}", json={"mode": "archive"})

    assert answer.status_code == 202, answer.json
    assert answer.json["state"] == "releasing"
    job = db.session.get(Job, answer.json["job_id"])
    folder = Path(app.instance_path) / "server-archives" / str(server.id)
    assert job.playbook == "server-release.yml"
    assert job.extra_vars["server_release_mode"] == "archive"
    assert job.extra_vars["server_pool_hostname"] == host_name
    assert job.extra_vars["server_archive_dest"] == str(folder)
    assert folder.is_dir() and folder.stat().st_mode & 0o077 == 0
    (folder / "srv.tar.gz").write_bytes(b"archive")

    settle(job, data={"server_release": {"archive": "srv.tar.gz"}})
    db.session.expire_all()
    assert server.state == "released" and server.released_at is not None
    assert server.archive_file == "srv.tar.gz"
    days = app.config["SERVER_ARCHIVE_DAYS"]
    assert server.archive_purge_after == server.released_at + timedelta(days=days)

    with acting("worker"):
        assert operations.purge_archives() == []
        server.archive_purge_after = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert operations.purge_archives() == [server]
    assert not folder.exists()
    assert server.archive_file is None


def test_the_host_is_free_again_once_the_release_succeeded(make_server, make_reseller):
    server = make_server()
    host = server.host
    with acting("cli"):
        _, job = operations.release_server(server, "wipe")
    reseller, customer = make_reseller()
    with acting("cli", reseller):
        waiting, _ = operations.request_server(reseller, customer.id, "small", [])

    with pytest.raises(Conflict, match="No free pool host"), acting("cli"):
        operations.approve_server(waiting)
    settle(job)
    with acting("cli"):
        operations.approve_server(waiting)

    assert waiting.host_id == host.id
    assert "server_archive_dest" not in job.extra_vars


def test_a_host_reporting_a_path_as_archive_is_not_believed(make_server):
    server = make_server()
    with acting("cli"):
        _, job = operations.release_server(server, "archive")
    settle(job, data={"server_release": {"archive": "../../secret_key"}})
    db.session.expire_all()

    assert server.state == "released" and server.archive_file is None


def test_a_request_released_before_approval_ends_without_a_job(api_as, make_reseller):
    reseller, customer = make_reseller()
    with acting("cli", reseller):
        server, _ = operations.request_server(reseller, customer.id, "small", [])
    client, _ = api_as(reseller)

    answer = client.delete(f"/api/v1/servers/{server.id}", json={"mode": "wipe"})

    assert answer.status_code == 202
    assert (answer.json["state"], answer.json["job_id"]) == ("released", None)


@pytest.mark.parametrize(("body", "status"), [({"mode": "burn"}, 422), ({}, 422)])
def test_bad_releases_change_nothing(api_as, make_server, body, status):
    server = make_server()
    client, _ = api_as(server.reseller)
    before = counts()

    answer = client.delete(f"/api/v1/servers/{server.id}", json=body)

    assert answer.status_code == status
    assert "mode" in answer.json["error"]["fields"]
    assert counts() == before


def test_a_released_server_takes_no_more_changes(api_as, make_server):
    server = make_server()
    with acting("cli"):
        _, job = operations.release_server(server, "wipe")
    settle(job)
    client, _ = api_as(server.reseller)
    before = counts()

    again = client.delete(f"/api/v1/servers/{server.id}", json={"mode": "wipe"})
    action = client.post(f"/api/v1/servers/{server.id}/actions", json={"action": "reboot"})
    retry = client.post(f"/api/v1/jobs/{job.id}/retry")

    assert (again.status_code, action.status_code) == (409, 409)
    assert again.json["error"]["message"] == "Not possible while the server is released."
    assert retry.status_code == 409
    assert counts() == before
