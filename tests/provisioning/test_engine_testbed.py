"""The provisioning engine end to end: jobs through the API, a real `panel worker`, ansible-runner
and real testbed hosts, on each queue storage."""

import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
from e2e_support import (
    CONNECT_TIMEOUT,
    LOST_AFTER,
    MARKER,
    poll,
    processes_mentioning,
)
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update

from panel.core.audit import AuditEntry
from panel.extensions import db
from panel.hosts.models import Host
from panel.provisioning.models import FINISHED, HostLock, Job
from panel_testbed import PREFIX

pytestmark = pytest.mark.testbed


def task_events(job: dict, event: str) -> set[tuple[str, str]]:
    return {(e["task"], e["host"]) for e in job["events"] if e["event"] == event}


def test_ping_on_two_hosts_succeeds_and_a_rerun_changes_nothing(live):
    hosts = [f"{PREFIX}1", f"{PREFIX}2"]
    for host in hosts:
        assert live.on_host(host, f"rm -f {MARKER}")[0] == 0

    first = live.wait_for_job(live.run_job("ping", hosts), "successful")
    assert first["rc"] == 0 and first["reason"] == ""
    assert first["started_at"] and first["finished_at"] and first["duration"] > 0
    assert task_events(first, "runner_on_ok") >= {("Mark the host", host) for host in hosts}
    counters = [event["counter"] for event in first["events"]]
    assert counters == sorted(set(counters))
    assert first["stats"]["changed"] == dict.fromkeys(hosts, 1)
    assert sorted(first["stats"]["ok"]) == hosts and not first["stats"]["dark"]
    for host in hosts:
        assert live.on_host(host, f"cat {MARKER}") == (0, "engine test\n")

    again = live.wait_for_job(live.run_job("ping", hosts), "successful")
    assert sorted(again["stats"]["ok"]) == hosts
    assert all(again["stats"]["changed"].get(host, 0) == 0 for host in hosts)
    assert task_events(again, "runner_on_ok") >= {("Mark the host", host) for host in hosts}
    assert not [e for e in again["events"] if e["changed"]]

    listed = live.client().get("/api/v1/jobs?action=ping&status=successful").json
    assert {job["id"] for job in listed} >= {first["id"], again["id"]}
    states = {h["name"]: h["state"] for h in live.client().get("/api/v1/hosts").json}
    assert states == dict.fromkeys(live.hosts, "ready")


def locks() -> dict[str, int]:
    return {lock.host: lock.job_id for lock in db.session.scalars(select(HostLock))}


def playbooks_in(folder: str) -> list[int]:
    """ansible-playbook processes (not the ssh-agent wrapping one) in a job's private folder."""
    return [
        pid
        for pid, arguments in processes_mentioning(folder).items()
        if any(Path(argument).name == "ansible-playbook" for argument in arguments[:2])
    ]


def wait_for_task(live, job_id: int, task: str, host: str) -> None:
    """Until the job's events show TASK started on HOST, through the API as the job page sees."""
    poll(
        lambda: (task, host) in task_events(live.job(job_id), "runner_on_start"),
        60,
        f"job {job_id} did not start {task} on {host}",
    )


def test_a_killed_worker_leaves_a_lost_job_that_a_retry_redoes(live):
    live.set_sleep(f"{PREFIX}3", 30)
    job_id = live.run_job("ping", [f"{PREFIX}3"])
    live.wait_for_job(job_id, "running")
    wait_for_task(live, job_id, "Wait", f"{PREFIX}3")
    folder = live.job_folder(job_id)
    assert folder, "no folder of the running job found"
    assert playbooks_in(folder)

    killed = live.kill_worker()
    assert live.job(job_id)["status"] == "running"
    # All of them: ansible-playbook, the task's worker in a session of its own, its ssh, and
    # the ssh-agent that holds the panel's key.
    poll(lambda: not processes_mentioning(folder), 5, "processes of the killed job survive")

    live.start_worker()
    started = time.monotonic()
    lost = live.wait_for_job(job_id, "lost", timeout=LOST_AFTER + 10)
    assert time.monotonic() - started < LOST_AFTER + 3
    assert f":{killed} sent no heartbeat" in lost["reason"] and "retry" in lost["reason"]
    assert f"{PREFIX}3" not in live.read(locks)
    # The killed job could not clean up: its folder holds the panel's SSH key in the clear.
    poll(lambda: not Path(folder).exists(), 10, f"the lost job's {folder} is left")
    hosts = {h["name"]: h["state"] for h in live.client().get("/api/v1/hosts").json}
    assert hosts[f"{PREFIX}3"] == "ready"

    live.set_sleep(f"{PREFIX}3", 0)
    response = live.client().post(f"/api/v1/jobs/{job_id}/retry")
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.json["retry_of_id"] == job_id and response.json["id"] != job_id
    retried = live.wait_for_job(response.json["id"], "successful")
    assert retried["hosts"] == [f"{PREFIX}3"] and sorted(retried["stats"]["ok"]) == [f"{PREFIX}3"]
    assert live.job(job_id)["status"] == "lost"


def test_a_cut_host_fails_as_unreachable_and_a_later_ping_brings_it_back(live):
    cut = live.hosts[f"{PREFIX}2"]
    # A shared connection would first wait for its keepalives to fail (a minute).
    live.close_connections(f"{PREFIX}2")
    subprocess.run(["ip", "link", "set", cut.veth, "down"], check=True)
    try:
        started = time.monotonic()
        failed = live.wait_for_job(live.run_job("ping", [f"{PREFIX}1", f"{PREFIX}2"]), "failed")
        took = time.monotonic() - started
    finally:
        subprocess.run(["ip", "link", "set", cut.veth, "up"], check=True)
    assert took < CONNECT_TIMEOUT + 20
    assert failed["reason"].startswith(f"unreachable: {PREFIX}2:"), failed["reason"]
    assert f"{PREFIX}1" not in failed["reason"]
    assert failed["stats"]["dark"] == {f"{PREFIX}2": 1}
    assert f"{PREFIX}2" not in failed["stats"]["ok"]
    assert not {host for _, host in task_events(failed, "runner_on_ok")} & {f"{PREFIX}2"}
    assert ("Mark the host", f"{PREFIX}2") in task_events(failed, "runner_on_unreachable")
    hosts = {h["name"]: h for h in live.client().get("/api/v1/hosts").json}
    assert hosts[f"{PREFIX}2"]["state"] == "unreachable"
    assert "unreachable" in hosts[f"{PREFIX}2"]["state_reason"]
    assert hosts[f"{PREFIX}1"]["state"] == "ready"
    assert not live.read(locks)

    live.wait_for_job(live.run_job("ping", [f"{PREFIX}2"]), "successful")
    hosts = {h["name"]: h for h in live.client().get("/api/v1/hosts").json}
    assert (hosts[f"{PREFIX}2"]["state"], hosts[f"{PREFIX}2"]["state_reason"]) == ("ready", "")


def test_cancel_stops_a_running_playbook(live):
    live.set_sleep(f"{PREFIX}1", 30)
    job_id = live.run_job("ping", [f"{PREFIX}1"])
    wait_for_task(live, job_id, "Wait", f"{PREFIX}1")
    folder = live.job_folder(job_id)
    assert folder, "no folder of the running job found"
    # Ansible reports a task started just before it forks the task's worker.
    poll(lambda: len(playbooks_in(folder)) >= 2, 30, "no task worker next to ansible-playbook")

    asked = time.monotonic()
    response = live.client().post(f"/api/v1/jobs/{job_id}/cancel")
    assert response.status_code == 202 and response.json["cancel_requested"]
    canceled = live.wait_for_job(job_id, "canceled", timeout=20)
    assert time.monotonic() - asked < 8
    assert canceled["reason"] == "canceled while running"
    assert f"{PREFIX}1" not in live.read(locks)
    assert not processes_mentioning(folder)
    assert live.client().post(f"/api/v1/jobs/{job_id}/cancel").status_code == 409


def test_jobs_on_one_host_never_overlap_jobs_on_two_hosts_do(live):
    for host in live.hosts:
        live.set_sleep(host, 3)
    same = [live.run_job("ping", [f"{PREFIX}1"]), live.run_job("ping", [f"{PREFIX}1"])]
    other = [live.run_job("ping", [f"{PREFIX}2"]), live.run_job("ping", [f"{PREFIX}3"])]
    jobs = [live.wait_for_job(job_id, "successful") for job_id in same + other]
    spans = [
        (datetime.fromisoformat(job["started_at"]), datetime.fromisoformat(job["finished_at"]))
        for job in jobs
    ]
    first, second = sorted(spans[:2])
    assert second[0] >= first[1], "two jobs ran on pnltb1 at once"
    (start_a, end_a), (start_b, end_b) = spans[2:]
    assert start_a < end_b and start_b < end_a, "jobs on pnltb2 and pnltb3 did not run together"


def test_a_wrong_host_key_is_refused_when_adding_and_fails_a_job(live):
    other, victim = live.hosts[f"{PREFIX}1"], live.hosts[f"{PREFIX}3"]
    audit_before = live.read(lambda: db.session.scalar(select(func.count(AuditEntry.id))))
    added = live.cli(
        "hosts", "add", "pnlx", victim.address, "--fingerprint", other.fingerprint, check=False
    )
    assert added.returncode != 0
    assert "HOST KEY MISMATCH" in added.stderr and victim.fingerprint in added.stderr
    assert [h["name"] for h in live.client().get("/api/v1/hosts").json] == sorted(live.hosts)
    audit_after = live.read(lambda: db.session.scalar(select(func.count(AuditEntry.id))))
    assert audit_after == audit_before

    assert live.on_host(f"{PREFIX}3", f"rm -f {MARKER}")[0] == 0
    live.close_connections(f"{PREFIX}3")

    def pinned() -> str:
        return db.session.scalar(select(Host.host_key).where(Host.name == f"{PREFIX}3"))

    def pin(key: str) -> None:
        def write():
            db.session.execute(update(Host).where(Host.name == f"{PREFIX}3").values(host_key=key))
            db.session.commit()

        live.read(write)

    right_key = live.read(pinned)
    pin(other.host_key)
    try:
        failed = live.wait_for_job(live.run_job("ping", [f"{PREFIX}3"]), "failed")
        assert live.read(pinned) == other.host_key
    finally:
        pin(right_key)
    # ssh's own words (linear) or mitogen's (mitogen_linear) for the same refusal.
    assert any(
        words in failed["reason"]
        for words in ("REMOTE HOST IDENTIFICATION HAS CHANGED", "mismatching host key")
    ), failed["reason"]
    assert failed["reason"].startswith(f"unreachable: {PREFIX}3:")
    assert not task_events(failed, "runner_on_ok")
    assert live.on_host(f"{PREFIX}3", f"test -e {MARKER}")[0] == 1
    states = {h["name"]: h["state"] for h in live.client().get("/api/v1/hosts").json}
    assert states == {f"{PREFIX}1": "ready", f"{PREFIX}2": "ready", f"{PREFIX}3": "unreachable"}
    live.wait_for_job(live.run_job("ping", [f"{PREFIX}3"]), "successful")


def test_a_stopped_worker_takes_its_running_playbook_with_it(live):
    live.set_sleep(f"{PREFIX}2", 30)
    job_id = live.run_job("ping", [f"{PREFIX}2"])
    wait_for_task(live, job_id, "Wait", f"{PREFIX}2")
    folder = live.job_folder(job_id)

    asked = time.monotonic()
    live.stop_worker()  # SIGTERM, as systemd stops the service
    waited = time.monotonic() - asked
    assert waited < 10, f"the worker waited {waited:.1f} s for the playbook\n{live.worker_log()}"
    poll(lambda: not processes_mentioning(folder), 5, "processes of the stopped job survive")
    # The job's process removes it once they are dead: it has outlived the worker to do so.
    poll(lambda: not Path(folder).exists(), 10, f"the stopped job's {folder} is left")
    # The stopping worker may still mark the job lost itself, when it sees its job process end
    # or its job launcher (which ends with it) go first; otherwise the next worker's reaper
    # does, once the heartbeat is stale.
    assert live.job(job_id)["status"] in ("running", "lost")

    live.start_worker()
    lost = live.wait_for_job(job_id, "lost", timeout=LOST_AFTER + 10)
    reasons = ("no heartbeat", "job process ended", "job launcher has gone")
    assert any(reason in lost["reason"] for reason in reasons), lost["reason"]
    assert f"{PREFIX}2" not in live.read(locks)


def test_jobs_queued_while_no_worker_runs_are_done_when_one_starts(live):
    live.stop_worker()
    lost_message = live.run_job("ping", [f"{PREFIX}1"])
    # The queue loses what it held, as a Redis without persistence does on a restart.
    live.app.extensions["queue"].flush()
    queued = live.run_job("ping", [f"{PREFIX}2"])
    assert [live.job(job_id)["status"] for job_id in (lost_message, queued)] == ["queued"] * 2

    live.start_worker()
    for job_id in (lost_message, queued):
        live.wait_for_job(job_id, "successful")
    assert "2 waiting jobs queued" in live.worker_logs[-1].read_text()


def test_metrics_count_the_jobs_by_status(live):

    def scrape() -> dict:
        text = live.client().get("/metrics").get_data(as_text=True)
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def jobs_metric(metrics: dict, status: str) -> float:
        return metrics.get(("panel_jobs", (("action", "ping"), ("status", status))), 0)

    before = scrape()
    live.wait_for_job(live.run_job("ping", [f"{PREFIX}1"]), "successful")
    after = scrape()
    assert jobs_metric(after, "successful") == jobs_metric(before, "successful") + 1
    counts = live.read(
        lambda: dict(
            db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        )
    )
    reported = {
        dict(labels)["status"]: value
        for (name, labels), value in after.items()
        if name == "panel_jobs"
    }
    assert reported == counts
    assert after[("panel_queue_depth", ())] == 0
    finished = sum(counts.get(status, 0) for status in FINISHED)
    assert after[("panel_job_duration_seconds_count", ())] == finished


def test_a_reboot_job_ends_once_the_host_is_back(live):
    # /run is a tmpfs of the host's boot: the marker is gone once the host has rebooted.
    assert live.on_host(f"{PREFIX}2", "touch /run/before-reboot")[0] == 0
    job = live.wait_for_job(live.run_job("reboot", [f"{PREFIX}2"]), "successful", timeout=180)
    assert job["stats"]["changed"] == {f"{PREFIX}2": 1}
    assert live.on_host(f"{PREFIX}2", "test -e /run/before-reboot; echo $?") == (0, "1\n")
    assert live.on_host(f"{PREFIX}2", "systemctl is-system-running")[1] == "running\n"
