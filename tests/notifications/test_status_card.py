"""The admin's status card: each line green when its part works or is configured, red with a
reason when not; members never see it."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_support import PrometheusServer, free_port

from panel.core.audit import acting
from panel.core.models import utcnow
from panel.core.sshkey import ensure_keypair
from panel.extensions import db
from panel.hosts.models import HostState
from panel.provisioning.operations import create_job
from panel.status import checks

CONFIGURED = {
    "SMTP_URL": "smtp://127.0.0.1:25",
    "COOP_IBAN": "DE02120300000000202051",
    "SEPA_CREDITOR_ID": "DE98ZZZ09999999999",
    "ACME_DIRECTORY_URL": "https://acme.test/directory",
    "ACME_EMAIL": "hostmaster@coop.test",
}
UNCONFIGURED = {"SMTP_URL": None, "COOP_IBAN": "", "SEPA_CREDITOR_ID": "", "ACME_DIRECTORY_URL": ""}


def lines(page: str) -> dict[str, str]:
    """Each status line's name and its class (ok or problem)."""
    line = r'<li class="status-line (ok|problem)">.*?<strong>([^<]+)</strong>'
    found = re.findall(line, page, re.S)
    return {name: state for state, name in found}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    server = PrometheusServer(tmp_path_factory.mktemp("prometheus")).start()
    yield server
    server.stop()


@pytest.fixture
def configure(app, monkeypatch):
    def set_all(values: dict) -> None:
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    return set_all


def test_every_line_is_green_when_everything_is_configured_and_works(
    login_as, configure, prometheus, make_host, app
):
    configure({**CONFIGURED, "PROMETHEUS_URL": prometheus.url})
    ensure_keypair(Path(app.instance_path), app.config["SECRET_KEY"])
    make_host("web1")
    client, _ = login_as("admin")
    page = client.get("/").get_data(as_text=True)
    assert set(lines(page).values()) == {"ok"}, lines(page)
    assert "Answers at" in page and "Every host is reachable." in page


def test_unconfigured_parts_and_a_prometheus_that_is_down_are_red(login_as, configure):
    configure({**UNCONFIGURED, "PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"})
    client, _ = login_as("admin")
    page = client.get("/").get_data(as_text=True)
    state = lines(page)
    for name in ("Prometheus", "Mail", "Billing", "Certificates"):
        assert state[name] == "problem", name
    assert "Does not answer" in page
    assert "PANEL_COOP_IBAN, PANEL_SEPA_CREDITOR_ID" in page


def test_unreachable_hosts_are_counted_and_linked(login_as, make_host):
    make_host("web1", state=HostState.UNREACHABLE)
    make_host("web2", state=HostState.UNREACHABLE)
    line = checks.hosts_line()
    assert not line.ok and str(line.text) == "2 hosts unreachable." and line.link == "/admin/hosts"


def test_a_job_waiting_long_means_no_worker_takes_jobs(make_host):
    make_host("web1")
    assert checks.workers_line().ok
    with acting("cli"):
        job = create_job("ping", ["web1"])
    db.session.commit()
    assert checks.workers_line().ok and str(checks.queue_line().text) == "1 jobs waiting."
    job.queued_at = utcnow() - timedelta(minutes=6)
    db.session.commit()
    line = checks.workers_line()
    assert not line.ok and "waited 6 minutes" in str(line.text)


def test_the_panels_public_key_is_shown_with_a_copy_button(login_as, app):
    public = ensure_keypair(Path(app.instance_path), app.config["SECRET_KEY"]).read_text().strip()
    client, _ = login_as("admin")
    page = client.get("/").get_data(as_text=True)
    assert f'<code id="panel-public-key">{public}</code>' in page
    assert 'data-copy="panel-public-key"' in page and "copy.js" in page


def test_members_see_no_status_card(login_as):
    client, _ = login_as("member")
    assert 'id="status"' not in client.get("/").get_data(as_text=True)
