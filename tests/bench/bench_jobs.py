"""Benchmark: a small playbook (ping.yml) through the panel against plain ansible-playbook.

1. one testbed host: API call to job successful, against `ansible-playbook` of the same playbook
   with the same ansible.cfg, inventory and key (loaded into an ssh-agent); target ratio <= 1.2;
2. the same playbook on 10 hosts at once against one host, both through the panel; target <= 3.

Run as root (the testbed needs it): `.venv/bin/python -m tests.bench.bench_jobs`.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from panel_testbed import PREFIX
from tests.bench.support import ROOT, bench_panel, median_of, plain_inventory

RUNS = 5
DEADLINE = 120


def through_panel(app, client, hosts: list[str]) -> float:
    from panel.extensions import db
    from panel.provisioning.models import Job

    started = time.perf_counter()
    response = client.post("/api/v1/jobs", json={"action": "ping", "hosts": hosts})
    job_id = response.get_json()["id"]
    with app.app_context():
        while time.perf_counter() - started < DEADLINE:
            status = db.session.get(Job, job_id).status
            db.session.rollback()
            if status == "successful":
                return time.perf_counter() - started
            if status in ("failed", "canceled", "lost"):
                raise RuntimeError(f"job {job_id} {status}")
            time.sleep(0.02)
    raise RuntimeError(f"job {job_id} did not finish in {DEADLINE} s")


def plain(env: dict, inventory: Path, limit: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(inventory),
            "--limit",
            limit,
            str(ROOT / "playbooks" / "ping.yml"),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def agent_env(env: dict, app) -> dict:
    """An ssh-agent holding the panel's key, as ansible-runner gives one to each job."""
    from panel.provisioning.runner import panel_key_pem

    output = subprocess.run(["ssh-agent", "-s"], check=True, capture_output=True, text=True)
    agent = dict(
        part.split("=", 1) for part in output.stdout.replace(";", "\n").split() if "=" in part
    )
    with app.app_context():
        key = panel_key_pem()
    env = {**env, "SSH_AUTH_SOCK": agent["SSH_AUTH_SOCK"], "SSH_AGENT_PID": agent["SSH_AGENT_PID"]}
    subprocess.run(["ssh-add", "-"], input=key, text=True, env=env, check=True, capture_output=True)
    return {**env, "ANSIBLE_CONFIG": str(ROOT / "playbooks" / "ansible.cfg")}


def main() -> None:
    with bench_panel(10) as (env, app):
        from panel.accounts.operations import create_api_token, find_user_by_email
        from panel.core.audit import acting

        with app.app_context(), acting("cli"):
            _, token = create_api_token(find_user_by_email("admin@example.org"), "bench")
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        plain_env = agent_env(env, app)
        inventory = plain_inventory(app)
        all_hosts = [f"{PREFIX}{number}" for number in range(1, 11)]
        one = all_hosts[0]
        try:
            # Warm both paths once (SSH control masters, page cache), then measure alternately.
            through_panel(app, client, [one])
            plain(plain_env, inventory, one)
            panel_one = median_of(RUNS, lambda: through_panel(app, client, [one]))
            plain_one = median_of(RUNS, lambda: plain(plain_env, inventory, one))
            panel_ten = median_of(RUNS, lambda: through_panel(app, client, all_hosts))
        finally:
            subprocess.run(["ssh-agent", "-k"], env=plain_env, check=False, capture_output=True)
    print(f"ping.yml, 1 host, plain ansible-playbook: median {plain_one:.2f} s of {RUNS}")
    print(f"ping.yml, 1 host, through the panel:      median {panel_one:.2f} s of {RUNS}")
    print(f"  ratio panel / plain: {panel_one / plain_one:.2f} (target <= 1.2)")
    print(f"ping.yml, 10 hosts, through the panel:    median {panel_ten:.2f} s of {RUNS}")
    print(f"  ratio 10 hosts / 1 host: {panel_ten / panel_one:.2f} (target <= 3)")


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("the benchmark boots testbed hosts and needs root")
    main()
