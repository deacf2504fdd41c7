"""A release upgrade of a host (dist-upgrade) as the panel runs it: one host per job, drained (no
new webspaces) from the moment it is asked for, its sites handed to the playbook to check; on
success the host is ready again, its facts are read again and each domain, database and SFTP
user in service on it is set up again (each webspace was, by the upgrade itself), those jobs
queued only once committed; on failure it stays drained with the reason and a retry. The
playbook itself runs on a real host in tests/playbooks/test_dist_upgrade.py."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select
from webspace_jobs import fail, succeed

from panel.core.audit import AuditEntry, acting
from panel.core.errors import ValidationFailed
from panel.extensions import db
from panel.hosts.models import HostState
from panel.provisioning import operations as jobs
from panel.provisioning.models import Job
from panel.webspaces import databases, domains, sftp_users
from panel.webspaces.operations import place, suspend_webspace
from panel.webspaces.upgrades import reapply


@pytest.fixture
def queued(monkeypatch):
    """The ids of the jobs handed to the queue, in order."""
    ids: list[int] = []
    monkeypatch.setattr(jobs, "enqueue", ids.append)
    return ids


@pytest.fixture
def served(make_member, make_webspace, web_host, app, monkeypatch):
    """A webspace on web1 with an active domain, database and SFTP user (no ownership check:
    not what is tested here)."""
    monkeypatch.setitem(app.config, "DOMAIN_VERIFICATION", "off")
    webspace = make_webspace(make_member())
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    with acting("cli"):
        domain, job = domains.add_domain(webspace, "served.example")
        succeed(job)
        database, job, _ = databases.create_database(webspace, "mariadb", "shop")
        succeed(job)
        user, job = sftp_users.create_sftp_user(webspace, "anna", [line.decode()])
        succeed(job)
    assert (domain.state, database.state, user.state) == ("active", "active", "active")
    return webspace, domain


def upgrade(host_names) -> Job:
    with acting("cli"):
        return jobs.run_maintenance("dist-upgrade", host_names)


def test_an_upgrade_runs_on_one_host_at_a_time_and_refuses_more(make_host, web_host):
    make_host("web2")
    before = db.session.scalar(select(db.func.count(Job.id)))
    with pytest.raises(ValidationFailed) as refused:
        upgrade(["web1", "web2"])
    assert "one host at a time" in str(refused.value)
    assert db.session.scalar(select(db.func.count(Job.id))) == before
    assert web_host.state == HostState.READY


def test_the_upgrade_drains_the_host_and_hands_its_webspaces_and_sites_to_the_playbook(
    served, queued
):
    webspace, _ = served
    job = upgrade(["web1"])
    assert (job.playbook, job.hosts, job.resource_type) == ("dist-upgrade.yml", ["web1"], "Host")
    assert job.extra_vars["dist_upgrade_sites"] == ["served.example"]
    assert job.extra_vars["dist_upgrade_webspaces"] == [
        {
            "webspace_name": webspace.name,
            "webspace_state": "active",
            "webspace_quota_soft_mib": webspace.quota_mib,
            "webspace_quota_hard_mib": webspace.quota_mib + webspace.quota_mib // 10,
            "webspace_archive_days": 30,
        }
    ]
    assert queued == [job.id]
    host = webspace.host
    assert host.state == HostState.MAINTENANCE
    assert host.state_reason == f"dist-upgrade job {job.id} runs"
    with pytest.raises(ValidationFailed):
        place("web1")


def test_a_successful_upgrade_makes_the_host_ready_and_sets_its_webspaces_up_again(served, queued):
    """The upgrade itself set the webspace up again (dist-upgrade.yml runs its role); its
    domains, databases and users get their jobs afterwards."""
    webspace, domain = served
    job = upgrade(["web1"])
    queued.clear()
    with acting("worker"):
        succeed(job, {"released": {"web1": "trixie"}})
    host = webspace.host
    assert host.state == HostState.READY and host.state_reason == ""
    made = db.session.scalars(select(Job).where(Job.id > job.id).order_by(Job.id)).all()
    assert [(j.action, j.resource_type) for j in made] == [
        ("ping", None),
        ("domain", "Domain"),
        ("database", "Database"),
        ("sftp-user", "SftpUser"),
    ]
    assert queued == [j.id for j in made]
    (database,) = webspace.databases
    (user,) = webspace.sftp_users
    assert (webspace.state, domain.state, database.state, user.state) == (
        "active",
        "pending",
        "pending",
        "pending",
    )
    assert [domain.last_job_id, database.last_job_id, user.last_job_id] == [j.id for j in made[1:]]
    assert made[1].extra_vars["domain_name"] == "served.example"
    assert made[2].extra_vars["database_state"] == "active"
    assert made[3].extra_vars["sftp_user_state"] == "active"


def test_a_failed_upgrade_keeps_the_host_drained_with_the_reason_and_a_retry(served, queued):
    webspace, _ = served
    job = upgrade(["web1"])
    with acting("worker"):
        fail(job, "apt: held packages")
    host = webspace.host
    assert host.state == HostState.MAINTENANCE
    assert host.state_reason == f"dist-upgrade job {job.id} failed: apt: held packages; retry it"
    assert db.session.scalars(select(Job).where(Job.id > job.id)).all() == []
    with pytest.raises(ValidationFailed):
        place("web1")
    with acting("cli"):
        retry = jobs.retry_job(job)
    assert (retry.action, retry.resource_type) == ("dist-upgrade", "Host")
    assert retry.resource_id == host.id
    with acting("worker"):
        succeed(retry)
    assert host.state == HostState.READY


def test_jobs_made_in_a_transaction_that_is_rolled_back_are_never_queued(make_host, queued):
    host = make_host("web3")
    jobs.dispatch_after_commit(jobs.create_job("ping", [host.name]))
    db.session.rollback()
    db.session.commit()
    assert queued == []


def test_reapply_sets_each_webspace_on_the_host_and_its_parts_up_again(
    served, make_member, make_webspace, make_host, queued
):
    """After an update of the panel changed what the playbooks set up: every webspace in service
    on the host (a suspended one stays suspended), then its domains, databases and SFTP users in
    service, each by a job queued only once committed; not what runs elsewhere, and not a domain
    still on its way (its own job sets it up)."""
    webspace, domain = served
    suspended = make_webspace(make_member())
    with acting("cli"):
        _, job = suspend_webspace(suspended)
        succeed(job)
    busy = make_webspace(make_member())
    with acting("cli"):
        busy_domain, running = domains.add_domain(busy, "busy.example")
    elsewhere = make_webspace(make_member())
    elsewhere.host = make_host("web2")
    db.session.flush()
    last = db.session.scalar(select(db.func.max(Job.id)))
    queued.clear()

    with acting("cli"):
        made = reapply(webspace.host)
    assert queued == []
    db.session.commit()
    assert queued == [job.id for job in made]
    (database,) = webspace.databases
    (user,) = webspace.sftp_users
    assert [(job.resource_type, job.resource_id) for job in made] == [
        ("Webspace", webspace.id),
        ("Domain", domain.id),
        ("Database", database.id),
        ("SftpUser", user.id),
        ("Webspace", suspended.id),
        ("Webspace", busy.id),
    ]
    assert made[0].extra_vars["webspace_state"] == "active"
    assert made[4].extra_vars["webspace_state"] == "suspended"
    assert suspended.desired == "suspended"
    # The pending domain keeps its own job; nothing else was made.
    assert busy_domain.last_job_id == running.id
    assert db.session.scalars(select(Job.id).where(Job.id > last)).all() == [j.id for j in made]
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "webspaces.reapply")
    ).one()
    assert entry.after == {"jobs": [job.id for job in made]}


def test_an_admin_sets_a_hosts_webspaces_up_again_from_its_page(
    served, login_as, make_host, queued
):
    webspace, _ = served
    admin, _ = login_as("admin")
    host = webspace.host
    page = admin.get(f"/admin/hosts/{host.id}", headers={"Accept-Language": "en"}).text
    assert '<p id="served-webspaces">1 webspace in service on this host.</p>' in page
    action = f"/admin/hosts/{host.id}/webspaces/reapply"
    assert f'action="{action}"' in page
    german = admin.get(f"/admin/hosts/{host.id}", headers={"Accept-Language": "de"}).text
    assert "1 Webspace ist auf diesem Host in Betrieb." in german

    answer = admin.post(action, headers={"Accept-Language": "en"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/admin/hosts/{host.id}"
    made = db.session.scalars(select(Job).where(Job.id.in_(queued)).order_by(Job.id)).all()
    assert [job.resource_type for job in made] == ["Webspace", "Domain", "Database", "SftpUser"]
    shown = admin.get(answer.headers["Location"], headers={"Accept-Language": "en"}).text
    assert "4 jobs queued." in shown

    managed = make_host("managed1")
    managed.role = "managed"
    db.session.commit()
    other = admin.get(f"/admin/hosts/{managed.id}").text
    assert "served-webspaces" not in other
