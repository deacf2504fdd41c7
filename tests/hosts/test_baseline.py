"""Every host gets the baseline (playbooks/base.yml: the firewall among it): onboarding queues
it with the agent as the setup job (tests/hosts/test_onboarding.py), the host page offers it,
and the job carries the firewall's sources the panel knows from its settings."""

import pytest
from sqlalchemy import func, select

from panel.config import settings_from_env
from panel.core.audit import AuditEntry
from panel.extensions import db
from panel.hosts import operations
from panel.hosts.models import HostState
from panel.provisioning.models import Job
from panel.provisioning.operations import run_maintenance

FACTS = "Debian GNU/Linux 12 (bookworm)\n2\n2147483648\n  21474836480 10737418240\n"


def jobs_of(host_name: str) -> list[Job]:
    jobs = db.session.scalars(select(Job).order_by(Job.id)).all()
    return [job for job in jobs if job.hosts == [host_name]]


def test_addresses_are_read_from_the_environment_and_checked():
    settings = settings_from_env(
        {
            "PANEL_MONITORING_ADDRESSES": " 198.18.0.1, 2001:DB8::/64,10.1.2.3/8,198.18.0.1",
            "PANEL_MANAGEMENT_ADDRESSES": "192.0.2.7",
        }
    )
    assert settings["MONITORING_ADDRESSES"] == ("198.18.0.1", "2001:db8::/64", "10.0.0.0/8")
    assert settings["MANAGEMENT_ADDRESSES"] == ("192.0.2.7",)
    assert settings_from_env({})["MONITORING_ADDRESSES"] == ()
    for bad in ("panel.example.org", "198.18.0.1; drop", "10.0.0.0/33"):
        with pytest.raises(ValueError, match="PANEL_MONITORING_ADDRESSES"):
            settings_from_env({"PANEL_MONITORING_ADDRESSES": bad})


def test_the_base_job_carries_the_firewall_sources_the_panel_knows(app, make_host):
    host = make_host("fw1")
    app.config.update(MONITORING_ADDRESSES=("198.18.0.5",), MANAGEMENT_ADDRESSES=("192.0.2.0/24",))
    try:
        job = run_maintenance("base", [host.name])
    finally:
        app.config.update(MONITORING_ADDRESSES=(), MANAGEMENT_ADDRESSES=())
    assert (job.playbook, job.hosts) == ("base.yml", ["fw1"])
    assert job.extra_vars == {
        "base_panel_ssh_sources": ["192.0.2.0/24"],
        "base_panel_monitoring_sources": ["198.18.0.5"],
    }
    # Unset, the role takes the address the panel's connection comes from.
    default = run_maintenance("base", [host.name])
    assert default.extra_vars == {"base_panel_ssh_sources": [], "base_panel_monitoring_sources": []}


def test_onboarding_queues_the_baseline(make_host, reachable):
    host = make_host("fw2", state=HostState.NEW)
    operations.onboard_host(host)
    assert host.state == HostState.ONBOARDING
    (job,) = jobs_of("fw2")
    assert (job.action, job.playbook, job.status) == ("setup", "setup.yml", "queued")
    assert (job.resource_type, job.resource_id) == ("Host", host.id)
    assert job.extra_vars == {"base_panel_ssh_sources": [], "base_panel_monitoring_sources": []}
    audit = select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "job.create", AuditEntry.object_id == str(job.id)
    )
    assert db.session.scalar(audit) == 1
    # Onboarded again (a reinstalled host is re-pinned and onboarded again): again.
    operations.onboard_host(host)
    assert [job.action for job in jobs_of("fw2")] == ["setup", "setup"]


def test_no_baseline_without_a_reachable_host_or_when_left_out(make_host, reachable, monkeypatch):
    quiet = make_host("fw3", state=HostState.NEW)
    operations.onboard_host(quiet, baseline=False)
    assert quiet.state == HostState.READY and jobs_of("fw3") == []
    assert quiet.onboarded_at is not None

    def refused(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(operations.ssh, "connect", refused)
    down = make_host("fw4", state=HostState.NEW)
    operations.onboard_host(down)
    assert down.state == HostState.UNREACHABLE and jobs_of("fw4") == []


def test_the_host_page_offers_the_baseline_and_runs_it(login_as, make_host):
    client, _ = login_as("admin")
    host = make_host("fw5")
    page = client.get(f"/admin/hosts/{host.id}").get_data(as_text=True)
    assert f'action="/admin/hosts/{host.id}/jobs"' in page
    assert '<option selected value="base">' in page

    response = client.post(f"/admin/hosts/{host.id}/jobs", data={"action": "base"})
    (job,) = jobs_of("fw5")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert (job.action, job.hosts) == ("base", ["fw5"])


@pytest.mark.parametrize("data", [{}, {"action": "nonsense"}, {"action": "webspace"}])
def test_a_bad_playbook_choice_is_refused_and_runs_nothing(login_as, make_host, data):
    client, _ = login_as("admin")
    host = make_host("fw6")
    response = client.post(f"/admin/hosts/{host.id}/jobs", data=data)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert jobs_of("fw6") == []


def test_a_retired_host_runs_no_playbook(login_as, make_host):
    client, _ = login_as("admin")
    host = make_host("fw7", state=HostState.RETIRED)
    assert f"/admin/hosts/{host.id}/jobs" not in client.get(f"/admin/hosts/{host.id}").text
    response = client.post(f"/admin/hosts/{host.id}/jobs", data={"action": "base"})
    assert response.status_code == 422
    assert "No such host or group: fw7" in response.get_data(as_text=True)
    assert jobs_of("fw7") == []
