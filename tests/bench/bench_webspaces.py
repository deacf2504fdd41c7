"""Benchmark: click to live site, against plain `ansible-playbook` of the same playbooks with the
same variables (static inventory, key in an ssh-agent). Target: under 5 s, ratio <= 1.2.

1. a new site on an existing webspace: from the API call that adds the domain until the domain
   answers HTTP 200 on the testbed host (domain.yml);
2. a new webspace with its first site: from the API call that creates the webspace with its
   first domain until that domain answers (webspace.yml, which serves the first domain in the
   same run).

Per Debian suite: PANEL_TESTBED_SUITE (comma-separated, e.g. "trixie,bookworm"), else the
testbed's default. Both sides use the same Ansible strategy: ansible.cfg's, or
PANEL_ANSIBLE_STRATEGY's (e.g. linear) for the panel and, as ANSIBLE_STRATEGY, for the baseline.

Run as root (the testbed needs it): `.venv/bin/python -m tests.bench.bench_webspaces`.
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from panel_testbed import PREFIX
from tests.bench.bench_jobs import agent_env
from tests.bench.support import ROOT, bench_panel, plain_inventory

RUNS = 10
DEADLINE = 120
HOST = f"{PREFIX}1"


def answers(address: str, name: str) -> bool:
    """Whether the site NAME serves its own page (a new site's placeholder names it)."""
    connection = http.client.HTTPConnection(address, 80, timeout=2)
    try:
        connection.request("GET", "/", headers={"Host": name})
        response = connection.getresponse()
        return response.status == 200 and name in response.read().decode(errors="replace")
    except OSError:
        return False
    finally:
        connection.close()


def wait(check, what: str) -> None:
    deadline = time.perf_counter() + DEADLINE
    while not check():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{what} not done in {DEADLINE} s")
        time.sleep(0.02)


def job_done(app, job_id: int) -> bool:
    from panel.extensions import db
    from panel.provisioning.models import Job

    with app.app_context():
        status = db.session.get(Job, job_id).status
        db.session.rollback()
    if status in ("failed", "canceled", "lost"):
        raise RuntimeError(f"job {job_id} {status}")
    return status == "successful"


def add_domain(app, client, webspace_id: int, address: str, name: str) -> float:
    started = time.perf_counter()
    domain = client.post(
        f"/api/v1/webspaces/{webspace_id}/domains", json={"name": name, "tls": False}
    ).get_json()
    wait(lambda: answers(address, name), f"{name} answering")
    elapsed = time.perf_counter() - started
    wait(lambda: job_done(app, domain["job_id"]), "domain job")
    return elapsed


def new_webspace(app, client, member_id: int) -> dict:
    created = client.post("/api/v1/webspaces", json={"member_id": member_id}).get_json()
    wait(lambda: job_done(app, created["job_id"]), "webspace job")
    return created


def new_webspace_with_site(app, client, member_id: int, address: str, name: str) -> float:
    started = time.perf_counter()
    created = client.post(
        "/api/v1/webspaces",
        json={"member_id": member_id, "first_domain": {"name": name, "tls": False}},
    ).get_json()
    wait(lambda: answers(address, name), f"{name} answering")
    elapsed = time.perf_counter() - started
    wait(lambda: job_done(app, created["job_id"]), "webspace job")
    return elapsed


def webspace_vars(webspace: str) -> dict:
    return {
        "webspace_name": webspace,
        "webspace_state": "active",
        "webspace_quota_soft_mib": 10240,
        "webspace_quota_hard_mib": 11264,
        "webspace_archive_days": 30,
    }


def domain_vars(webspace: str, name: str) -> dict:
    return {
        "webspace_name": webspace,
        "webspace_state": "active",
        "domain_name": name,
        "domain_state": "active",
        "domain_aliases": [],
        "domain_redirect": "",
        "domain_document_root": f"domains/{name}/htdocs",
        "domain_tls": False,
        "acme_directory_url": "",
        "acme_email": "",
        "acme_ca_cert": "",
    }


def playbook(env: dict, inventory: Path, name: str, extra_vars: dict) -> None:
    subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(inventory),
            "--limit",
            HOST,
            "-e",
            json.dumps(extra_vars),
            str(ROOT / "playbooks" / name),
        ],
        env=env,
        check=True,
        capture_output=True,
    )


def plain_site(env: dict, inventory: Path, address: str, webspace: str | None, name: str):
    """Plain ansible-playbook: webspace.yml with the site when WEBSPACE is new, else
    domain.yml."""
    started = time.perf_counter()
    if webspace is None:
        playbook(env, inventory, "domain.yml", domain_vars("pla00", name))
    else:
        site = webspace_vars(webspace) | domain_vars(webspace, name)
        playbook(env, inventory, "webspace.yml", site)
    wait(lambda: answers(address, name), f"{name} answering")
    return time.perf_counter() - started


def measure(suite: str) -> dict[str, tuple[list[float], list[float]]]:
    """For each case, the panel's times and plain ansible-playbook's, on a host of SUITE."""
    with bench_panel(1, {"PANEL_DOMAIN_VERIFICATION": "off"}, suite) as (env, app):
        from panel.accounts.operations import create_api_token, find_user_by_email
        from panel.coop.operations import create_member
        from panel.core.audit import acting
        from panel.extensions import db
        from panel.hosts.models import Host

        with app.app_context(), acting("cli"):
            _, token = create_api_token(find_user_by_email("admin@example.org"), "bench")
            member_id = create_member(name="Bench", email="bench@example.org", prefix="ben").id
            address = db.session.query(Host.address).filter(Host.name == HOST).scalar()
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        plain_env = agent_env(env, app)
        if env.get("PANEL_ANSIBLE_STRATEGY"):
            plain_env["ANSIBLE_STRATEGY"] = env["PANEL_ANSIBLE_STRATEGY"]
        inventory = plain_inventory(app)
        domain_panel, domain_plain, site_panel, site_plain = [], [], [], []
        try:
            # The first webspace on a host also sets up what all its webspaces share.
            base = new_webspace(app, client, member_id)
            playbook(plain_env, inventory, "webspace.yml", webspace_vars("pla00"))
            # Alternately, so that both see the same machine.
            for number in range(RUNS):
                domain_panel.append(
                    add_domain(app, client, base["id"], address, f"p{number}.example")
                )
                domain_plain.append(
                    plain_site(plain_env, inventory, address, None, f"q{number}.example")
                )
                site_panel.append(
                    new_webspace_with_site(app, client, member_id, address, f"s{number}.example")
                )
                site_plain.append(
                    plain_site(
                        plain_env, inventory, address, f"pla{number + 1:02d}", f"t{number}.example"
                    )
                )
        finally:
            subprocess.run(["ssh-agent", "-k"], env=plain_env, check=False, capture_output=True)
    return {
        "a new site on an existing webspace (domain.yml)": (domain_panel, domain_plain),
        "a new webspace with its first site (webspace.yml)": (site_panel, site_plain),
    }


def main() -> None:
    suites = [part.strip() for part in os.environ.get("PANEL_TESTBED_SUITE", "").split(",")]
    rows = []
    for suite in suites:
        for what, (panel_times, plain_times) in measure(suite).items():
            panel_median = statistics.median(panel_times)
            plain_median = statistics.median(plain_times)
            rows.append(
                f"| {suite or 'default'} | {what} | {plain_median:.2f} s | {panel_median:.2f} s, "
                f"ratio **{panel_median / plain_median:.2f}** |"
            )
    strategy = os.environ.get("PANEL_ANSIBLE_STRATEGY") or "ansible.cfg's"
    print(f"medians of {RUNS}, strategy {strategy} (targets: ratio <= 1.2, under 5 s)")
    print("| suite | what | plain `ansible-playbook` | through the panel |")
    print("|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("the benchmark boots testbed hosts and needs root")
    main()
