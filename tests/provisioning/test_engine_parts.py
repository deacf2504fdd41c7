"""Parts of the engine that need no testbed: the inventory Ansible really reads, and the removal
of what killed workers left in /dev/shm."""

import json
import subprocess
import sys
from pathlib import Path

from panel.core.audit import acting
from panel.extensions import db
from panel.hosts.inventory import runner_inventory
from panel.provisioning import folders, operations
from panel.provisioning.models import JobStatus

ANSIBLE_INVENTORY = str(Path(sys.executable).parent / "ansible-inventory")


def test_ansible_reads_every_host_group_and_variable_of_the_runner_inventory(make_host, tmp_path):
    hosts = [make_host("web1", ["eu", "testbed"]), make_host("web2", ["eu"])]
    # ansible-runner writes a dict inventory to inventory/hosts.json, as here.
    source = tmp_path / "hosts.json"
    source.write_text(json.dumps(runner_inventory(hosts, tmp_path / "known_hosts")))
    result = subprocess.run(
        [ANSIBLE_INVENTORY, "-i", str(source), "--list"],
        capture_output=True,
        text=True,
        check=True,
        env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "True", "PATH": "/usr/bin:/bin"},
    )
    parsed = json.loads(result.stdout)
    assert sorted(parsed["_meta"]["hostvars"]) == ["web1", "web2"]
    assert parsed["eu"]["hosts"] == ["web1", "web2"]
    assert parsed["testbed"]["hosts"] == ["web1"]
    assert parsed["webspace"]["hosts"] == ["web1", "web2"]
    web1 = parsed["_meta"]["hostvars"]["web1"]
    assert web1["ansible_host"] == "198.18.0.2" and web1["ansible_user"] == "root"
    assert "StrictHostKeyChecking=yes" in web1["ansible_ssh_common_args"]


def test_sweep_removes_the_folders_of_ended_jobs_only(app, make_host):
    make_host("web1")
    with acting("cli"):
        ended = operations.create_job("ping", ["web1"])
        running = operations.create_job("ping", ["web1"])
    ended.status, running.status = JobStatus.LOST, JobStatus.RUNNING
    db.session.commit()
    with app.test_request_context():
        left = folders.job_folder(ended.id)
        (left / "env").mkdir()
        (left / "env" / "ssh_key").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
        busy = folders.job_folder(running.id)
        try:
            assert folders.sweep() == [left]
            assert not left.exists() and busy.is_dir()
        finally:
            busy.rmdir()
