"""Domains without a worker: validation, uniqueness, the ownership check against a real DNS
server (dnsmasq), limits, TLS failures with backoff, removal."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from webspace_jobs import fail, succeed

from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db
from panel.provisioning.models import Job
from panel.webspaces import domains
from panel.webspaces.models import Domain


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def member_webspace(api_as, make_webspace):
    client, user = api_as("member")
    return client, make_webspace(user.member)


def add(client, webspace, **body):
    response = client.post(f"/api/v1/webspaces/{webspace.id}/domains", json=body)
    db.session.expire_all()
    return response


def test_an_admins_domain_goes_live_at_once(api_as, make_member, make_webspace):
    webspace = make_webspace(make_member())
    admin, _ = api_as("admin")
    response = add(admin, webspace, name="Bücher.Example", www_alias=True)
    assert response.status_code == 202, response.json
    assert response.json["name"] == "xn--bcher-kva.example"
    assert response.json["display_name"] == "bücher.example"
    assert response.json["state"] == "pending"
    job = db.session.get(Job, response.json["job_id"])
    assert job.playbook == "domain.yml" and job.hosts == ["web1"]
    assert job.extra_vars["domain_name"] == "xn--bcher-kva.example"
    assert job.extra_vars["domain_aliases"] == ["www.xn--bcher-kva.example"]
    assert job.extra_vars["domain_document_root"] == "domains/xn--bcher-kva.example/htdocs"
    assert job.extra_vars["domain_tls"] is True
    assert job.extra_vars["webspace_state"] == "active"
    assert job.extra_vars["acme_directory_url"].startswith("https://")


def test_a_members_domain_waits_for_its_txt_record(member_webspace, dns_server):
    client, webspace = member_webspace
    response = add(client, webspace, name="example.org")
    assert response.status_code == 202
    assert response.json["state"] == "unverified"
    assert response.json["job_id"] is None
    record = response.json["verification"]
    assert record["type"] == "TXT"
    assert record["name"] == "_panel-verification.example.org"
    domain_id = response.json["id"]

    dns_server.serve({"_panel-verification.example.org": "panel-verification=wrong"})
    missing = client.post(f"/api/v1/domains/{domain_id}/verify")
    assert missing.status_code == 422
    assert record["value"] in missing.json["error"]["message"]
    assert count(Job) == 1  # the webspace's own

    dns_server.serve({record["name"]: record["value"]})
    verified = client.post(f"/api/v1/domains/{domain_id}/verify")
    assert verified.status_code == 202
    assert verified.json["state"] == "pending" and verified.json["job_id"]
    assert verified.json["verified_at"]
    again = client.post(f"/api/v1/domains/{domain_id}/verify")
    assert again.status_code == 409


def test_own_zone_and_proven_parents_need_no_record(member_webspace, app, monkeypatch):
    client, webspace = member_webspace
    monkeypatch.setitem(app.config, "OWN_ZONE", "coop.example")
    assert add(client, webspace, name="abc.coop.example").json["state"] == "pending"
    proven = add(client, webspace, name="example.net").json
    assert proven["state"] == "unverified"
    domain = db.session.get(Domain, proven["id"])
    domain.verified_at = utcnow()
    domain.state = "active"
    db.session.commit()
    assert add(client, webspace, name="shop.example.net").json["state"] == "pending"


LONG_LABEL = "a" * 64
BAD_NAMES = [
    "",
    "   ",
    "a." * 126 + "org",
    f"{LONG_LABEL}.org",
    "-lead.org",
    "trail-.org",
    "with space.org",
    "under_score.org",
    "xn--zz.org",
    "xn--a.org",
    "pаypal.com",
    "exam/ple.org",
    "example.org/path",
    "ex;ample.org",
    "$(reboot).org",
    "`id`.org",
    "example..org",
    "localhost",
    "192.0.2.1",
    "ab--cd.org",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_domain_names_are_refused_and_nothing_is_written(member_webspace, name):
    client, webspace = member_webspace
    before = (count(Domain), count(Job))
    response = add(client, webspace, name=name)
    assert response.status_code == 422, (name, response.json)
    assert response.json["error"]["fields"], response.json
    assert (count(Domain), count(Job)) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("redirect", "javascript:alert(1)"),
        ("redirect", "ftp://example.org/"),
        ("redirect", "https://exa mple.org/"),
        ("document_root", "../other"),
        ("document_root", "/etc"),
        ("document_root", "a/../../b"),
        ("document_root", "htdocs;rm -rf"),
        ("www_alias", "maybe"),
    ],
)
def test_bad_domain_settings_are_refused(member_webspace, field, value):
    client, webspace = member_webspace
    before = (count(Domain), count(Job))
    response = add(client, webspace, name="example.org", **{field: value})
    assert response.status_code == 422, response.json
    assert (count(Domain), count(Job)) == before


def test_a_site_name_is_short_enough_for_the_host_s_files(member_webspace):
    """DNS allows 253 characters; a host names the site's files after it and the default
    document root (domains/<name>/htdocs) is kept in 255 characters, so 240 at most."""
    client, webspace = member_webspace
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 43]) + ".test"
    before = (count(Domain), count(Job))
    response = add(client, webspace, name=longest.replace("d" * 43, "d" * 44))
    assert response.status_code == 422, response.json
    assert "At most 240 characters for a site" in response.json["error"]["fields"]["name"][0]
    assert (count(Domain), count(Job)) == before
    assert add(client, webspace, name=longest).status_code == 202


def test_a_domain_is_unique_across_the_panel(member_webspace, api_as, make_webspace):
    client, webspace = member_webspace
    taken = add(client, webspace, name="example.org", www_alias=True)
    assert taken.status_code == 202
    # Proven: an unverified claim would block nobody.
    domain = db.session.get(Domain, taken.json["id"])
    domain.state, domain.verified_at = "active", utcnow()
    db.session.commit()
    other_client, other = api_as("member")
    other_webspace = make_webspace(other.member)
    before = (count(Domain), count(Job))
    for name in ("example.org", "EXAMPLE.org.", "www.example.org"):
        response = add(other_client, other_webspace, name=name)
        assert response.status_code == 409, name
    assert (count(Domain), count(Job)) == before


def test_the_plan_limits_domains(member_webspace, api_as):
    client, webspace = member_webspace
    admin, _ = api_as("admin")
    admin.patch(f"/api/v1/webspaces/{webspace.id}", json={"max_domains": 1})
    assert add(client, webspace, name="one.example").status_code == 202
    before = (count(Domain), count(Job))
    response = add(client, webspace, name="two.example")
    assert response.status_code == 409
    assert "plan" in response.json["error"]["message"]
    assert (count(Domain), count(Job)) == before


def test_a_failed_certificate_is_retried_with_backoff(api_as, make_member, make_webspace, app):
    admin, _ = api_as("admin")
    webspace = make_webspace(make_member())
    domain = db.session.get(Domain, add(admin, webspace, name="example.org").json["id"])
    first = app.config["TLS_RETRY_SECONDS"]
    delays = []
    for _ in range(3):
        with acting("worker"):
            reason = "web1: Certbot failed to authenticate some domains"
            fail(domain.last_job, reason, {"domain": {"tls_error": reason}})
        assert domain.state == "failed"
        assert "authenticate" in domain.tls_error
        delays.append(domain.tls_retry_at - utcnow())
        with acting("worker"):
            assert domains.retry_certificates() == []
        domain.tls_retry_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        with acting("worker"):
            assert len(domains.retry_certificates()) == 1
        assert domain.state == "pending"
    rounded = [round(delay.total_seconds() / first) for delay in delays]
    assert rounded == [1, 2, 4]
    with acting("worker"):
        succeed(domain.last_job, {"domain": {"tls_not_after": "2027-02-20T10:00:00Z"}})
    assert domain.state == "active" and domain.tls_error == "" and domain.tls_failures == 0
    assert domain.tls_not_after.isoformat() == "2027-02-20T10:00:00+00:00"
    metrics = app.test_client().get("/metrics").text
    labels = f'domain="example.org",webspace="{webspace.name}"'
    line = f"panel_domain_tls_not_after_timestamp_seconds{{{labels}}}"
    assert line in metrics


def test_removing_a_domain_frees_its_name(api_as, make_member, make_webspace):
    admin, _ = api_as("admin")
    webspace = make_webspace(make_member())
    domain_id = add(admin, webspace, name="example.org").json["id"]
    domain = db.session.get(Domain, domain_id)
    with acting("worker"):
        succeed(domain.last_job)
    response = admin.delete(f"/api/v1/domains/{domain_id}")
    db.session.expire_all()
    assert response.status_code == 202 and response.json["state"] == "deleting"
    job = domain.last_job
    assert job.extra_vars["domain_state"] == "absent"
    with acting("worker"):
        succeed(job)
    assert db.session.get(Domain, domain_id) is None
    assert add(admin, webspace, name="example.org").status_code == 202


def test_an_unverified_domain_is_removed_without_a_job(member_webspace):
    client, webspace = member_webspace
    domain_id = add(client, webspace, name="example.org").json["id"]
    jobs = count(Job)
    response = client.delete(f"/api/v1/domains/{domain_id}")
    assert response.status_code == 202
    assert count(Job) == jobs
    assert db.session.get(Domain, domain_id) is None


def test_a_suspended_webspace_serves_its_domains_as_suspended(api_as, make_member, make_webspace):
    admin, _ = api_as("admin")
    webspace = make_webspace(make_member())
    admin.post(f"/api/v1/webspaces/{webspace.id}/suspend")
    db.session.expire_all()
    with acting("worker"):
        succeed(webspace.last_job)
    response = add(admin, webspace, name="example.org")
    job = db.session.get(Job, response.json["job_id"])
    assert job.extra_vars["webspace_state"] == "suspended"


def test_domains_of_a_deleted_webspace_cannot_be_added(api_as, make_member, make_webspace):
    admin, _ = api_as("admin")
    webspace = make_webspace(make_member())
    admin.delete(f"/api/v1/webspaces/{webspace.id}")
    db.session.expire_all()
    before = count(Domain)
    assert add(admin, webspace, name="example.org").status_code == 409
    assert count(Domain) == before


def test_certificates_near_their_end_are_checked_on_their_host(api_as, make_member, make_webspace):
    admin, _ = api_as("admin")
    webspace = make_webspace(make_member())
    domain = db.session.get(Domain, add(admin, webspace, name="example.org").json["id"])
    with acting("worker"):
        succeed(domain.last_job, {"domain": {"tls_not_after": "2099-01-01T00:00:00Z"}})
        assert domains.check_certificates() == []
    domain.tls_not_after = utcnow() + timedelta(days=20)
    db.session.commit()
    with acting("worker"):
        # Its last job ended just now: the next check waits half a day.
        assert domains.check_certificates() == []
    domain.last_job.finished_at = utcnow() - timedelta(hours=13)
    db.session.commit()
    with acting("worker"):
        jobs = domains.check_certificates()
    assert [job.resource_id for job in jobs] == [domain.id]
    assert domain.state == "pending"
    with acting("worker"):
        succeed(jobs[0], {"domain": {"tls_not_after": "2027-06-01T00:00:00Z"}})
        assert domains.check_certificates() == []
    assert domain.tls_not_after.year == 2027


def test_only_certificate_failures_are_retried(api_as, make_member, make_webspace):
    admin, _ = api_as("admin")
    webspace = make_webspace(make_member())
    domain = db.session.get(Domain, add(admin, webspace, name="example.org").json["id"])
    with acting("worker"):
        fail(domain.last_job, "unreachable: web1: no route to host")
    assert domain.state == "failed" and domain.tls_retry_at is None and domain.tls_error == ""


def test_a_deleted_webspace_takes_its_domains_offline_for_good(api_as, make_member, make_webspace):
    admin, _ = api_as("admin")
    webspace = make_webspace(make_member())
    domain = db.session.get(Domain, add(admin, webspace, name="example.org").json["id"])
    with acting("worker"):
        succeed(domain.last_job, {"domain": {"tls_not_after": "2026-12-01T00:00:00Z"}})
    admin.delete(f"/api/v1/webspaces/{webspace.id}")
    db.session.expire_all()
    with acting("worker"):
        succeed(webspace.last_job)
    # No job may bring a site of a deleted webspace back (it would recreate the home).
    assert admin.patch(f"/api/v1/domains/{domain.id}", json={"tls": False}).status_code == 409
    assert admin.delete(f"/api/v1/domains/{domain.id}").status_code == 409
    domain.last_job.finished_at = utcnow() - timedelta(days=1)
    db.session.commit()
    with acting("worker"):
        assert domains.check_certificates() == []
    admin.post(f"/api/v1/webspaces/{webspace.id}/purge")
    db.session.expire_all()
    with acting("worker"):
        succeed(webspace.last_job)
    assert db.session.get(Domain, domain.id) is None


def test_the_own_zone_itself_needs_proof(member_webspace, app, monkeypatch):
    client, webspace = member_webspace
    monkeypatch.setitem(app.config, "OWN_ZONE", "coop.example")
    assert add(client, webspace, name="coop.example").json["state"] == "unverified"
