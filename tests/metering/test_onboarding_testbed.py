"""Onboarding end to end: `panel testbed up` registers a real host and ends with it ready, set up
by its setup job (baseline, agent, node_exporter), and a real Prometheus scrapes its agent and
node_exporter; the host's Debian release and security state are on its page and in the API."""

import re

import pytest
from e2e_support import live_panel
from polling import poll
from prometheus_support import PrometheusServer
from sqlalchemy import select

from panel.accounts.models import User
from panel.extensions import db
from panel.hosts.models import Host
from panel.metering import ledger, local_prometheus
from panel_testbed import PREFIX

pytestmark = pytest.mark.testbed

HOST = f"{PREFIX}1"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with live_panel(tmp_path_factory.mktemp("live"), "sqlite", hosts=1, setup=True) as panel:
        yield panel


def test_testbed_up_ends_with_a_ready_host_whose_agent_prometheus_scrapes(live):
    (host,) = live.client().get("/api/v1/hosts").json
    assert (host["name"], host["state"], host["state_reason"]) == (HOST, "ready", "")
    (job,) = live.client().get("/api/v1/jobs?action=setup").json
    assert (job["status"], job["hosts"]) == ("successful", [HOST])
    with live.app.app_context():
        config = local_prometheus.prepare("127.0.0.1:9")
    config.write_text(
        re.sub(r"(scrape|evaluation)_interval: \S+", r"\1_interval: 1s", config.read_text())
    )
    prometheus = PrometheusServer(config.parent).start()
    try:
        client = ledger.Prometheus(prometheus.url)

        def both_up() -> dict[str, float] | None:
            found = {
                labels["job"]: value for labels, value in client.instant(f'up{{host="{HOST}"}}')
            }
            return found if found.get("agent") == 1 and found.get("node") == 1 else None

        health = poll(both_up, 60, f"Prometheus never scraped {HOST}'s agent and node_exporter")
        assert health == {"agent": 1, "node": 1}
        # The agent's own metrics, read with the host's token.
        metric = f'panel_agent_last_collection_timestamp_seconds{{host="{HOST}"}}'
        assert poll(lambda: client.instant(metric), 30, "the agent reported no collection")
    finally:
        prometheus.stop()


def test_the_host_page_shows_the_hosts_release(live):
    status, text = live.on_host(HOST, ". /etc/os-release; echo $VERSION_ID $VERSION_CODENAME")
    assert status == 0
    version, codename = text.split()
    (host,) = live.client().get("/api/v1/hosts").json
    security = host["security"]
    assert security["release"] == f"Debian {version} {codename}"
    assert security["codename"] == codename and security["supported"] in (True, False)
    assert isinstance(security["pending_updates"], int) and security["checked_at"]
    with live.app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        host_id = db.session.scalar(select(Host.id).where(Host.name == HOST))
        browser = live.app.test_client()
        with browser.session_transaction() as session:
            session["_user_id"], session["_fresh"] = admin.get_id(), True
        page = browser.get(f"/admin/hosts/{host_id}")
    assert page.status_code == 200
    assert f'<td id="release">Debian {version} {codename}' in page.get_data(as_text=True)
