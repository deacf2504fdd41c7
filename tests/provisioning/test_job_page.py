"""The job page: output without ANSI colour codes, the step while it runs, and the kinds of
failure the resources' pages put in plain words."""

from pathlib import Path

import pytest

from panel.core.audit import acting
from panel.extensions import db
from panel.provisioning.failures import FailureKind, kind_of
from panel.provisioning.models import JobEvent, JobStatus
from panel.provisioning.operations import run_maintenance

COLOURED = "\x1b[0;31mfatal: [web1]: UNREACHABLE!\x1b[0m"


@pytest.mark.parametrize(
    ("status", "reason", "tls_error", "kind"),
    [
        ("failed", "unreachable: web1: web1: Task failed: Failed to connect", "", "unreachable"),
        ("failed", "web1: the command exited 1", "", "task_failed"),
        ("failed", "ansible-playbook exited with 2", "", "task_failed"),
        ("failed", "timed out after 1800 s", "", "timeout"),
        ("lost", "lost: worker w1 sent no heartbeat since 2026-12-05 10:00:00 UTC", "", "timeout"),
        ("lost", "the job process ended with exit code -9", "", "timeout"),
        ("canceled", "canceled while running", "", "canceled"),
        (None, "canceled before it started", "", "canceled"),
        ("failed", "web1: Certbot failed", "Certbot failed to authenticate", "certificate"),
    ],
)
def test_failure_kinds(status, reason, tls_error, kind):
    assert kind_of(status, reason, tls_error) == FailureKind(kind)


@pytest.fixture
def running_job(make_host):
    make_host("web1")
    with acting("cli"):
        job = run_maintenance("ping", ["web1"])
    job.status = JobStatus.RUNNING
    db.session.add_all(
        [
            JobEvent(job_id=job.id, counter=1, event="playbook_on_task_start", task="Ping"),
            JobEvent(
                job_id=job.id,
                counter=2,
                event="runner_on_unreachable",
                host="web1",
                task="Ping",
                failed=True,
                stdout=COLOURED,
            ),
        ]
    )
    db.session.commit()
    return job


def test_the_log_has_no_colour_codes_and_wraps(login_as, running_job):
    client, _ = login_as("admin")
    page = client.get(f"/jobs/{running_job.id}").text
    assert "fatal: [web1]: UNREACHABLE!" in page
    assert "\x1b" not in page and "[0;31m" not in page and "[0m" not in page
    assert '<pre id="job-output" class="log">' in page
    events = client.get(f"/jobs/{running_job.id}/events.json").json
    assert [event["stdout"] for event in events["events"]] == ["", "fatal: [web1]: UNREACHABLE!"]


def test_a_running_job_shows_its_step_and_its_state_in_colour(login_as, running_job):
    client, _ = login_as("admin")
    page = client.get(f"/jobs/{running_job.id}").text
    assert "Task 1: Ping" in page
    assert 'class="state state-running"' in page
    events = client.get(f"/jobs/{running_job.id}/events.json").json
    assert events["step"] == "Task 1: Ping" and events["status_label"] == "running"
    running_job.status = JobStatus.QUEUED
    db.session.commit()
    assert client.get(f"/jobs/{running_job.id}/events.json").json["step"] == "queued"


def test_the_state_colours_are_defined(app):
    css = (Path(app.static_folder) / "panel.css").read_text()
    for state in ("failed", "successful", "running", "queued"):
        assert f".state-{state}" in css
    assert "prefers-reduced-motion" in css and "pre.log" in css
