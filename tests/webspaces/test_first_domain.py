"""A new webspace with its first domain: one job (webspace.yml serves the domain in the same
run), whose outcome settles both; bad input changes nothing."""

import pytest
from sqlalchemy import func, select
from webspace_jobs import fail, succeed

from panel.core.audit import AuditEntry, acting
from panel.extensions import db
from panel.provisioning.models import Job
from panel.provisioning.operations import retry_job
from panel.webspaces.models import Domain, Webspace


@pytest.fixture
def own_zone(app, monkeypatch):
    monkeypatch.setitem(app.config, "OWN_ZONE", "coop.example")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def create(client, first_domain) -> tuple[int, dict]:
    response = client.post("/api/v1/webspaces", json={"first_domain": first_domain})
    db.session.expire_all()
    return response.status_code, response.json


def test_the_first_domain_rides_along_with_the_webspaces_job(api_as, web_host, own_zone):
    client, _ = api_as("member")
    status, created = create(client, {"name": "shop.coop.example", "tls": False})
    assert status == 202, created
    assert "first_domain" not in created
    webspace = db.session.get(Webspace, created["id"])
    (domain,) = webspace.domains
    assert (domain.name, domain.tls, domain.state) == ("shop.coop.example", False, "pending")
    assert domain.last_job_id == created["job_id"] == webspace.last_job_id
    assert count(Job) == 1
    job = db.session.get(Job, created["job_id"])
    assert job.playbook == "webspace.yml"
    assert job.extra_vars["webspace_name"] == webspace.name
    assert job.extra_vars["domain_name"] == "shop.coop.example"
    assert job.extra_vars["domain_state"] == "active" and job.extra_vars["domain_tls"] is False
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["webspace.create", "domain.create"]

    with acting("worker"):
        succeed(job, {"webspace": {"uid": 2001}, "domain": {"name": domain.name}})
    assert webspace.state == "active" and domain.state == "active"
    shown = client.get(f"/api/v1/domains/{domain.id}").json
    assert shown["state"] == "active" and shown["webspace_id"] == webspace.id


def test_a_failed_job_fails_both_and_its_retry_takes_both_again(api_as, web_host, own_zone):
    client, user = api_as("member")
    _, created = create(client, {"name": "shop.coop.example", "tls": False})
    webspace = db.session.get(Webspace, created["id"])
    (domain,) = webspace.domains
    with acting("worker"):
        fail(webspace.last_job, "unreachable: web1: no route")
    assert webspace.state == domain.state == "failed"
    assert "no route" in domain.state_reason

    with acting("cli", user):
        retry = retry_job(webspace.last_job)
    assert retry.extra_vars["domain_name"] == "shop.coop.example"
    assert domain.state == "pending" and domain.last_job_id == retry.id
    with acting("worker"):
        succeed(retry, {"webspace": {"uid": 2001}, "domain": {"name": domain.name}})
    assert webspace.state == domain.state == "active"


def test_a_first_domain_that_needs_the_ownership_check_waits_for_it(api_as, web_host):
    client, _ = api_as("member")
    status, created = create(client, {"name": "example.net", "tls": True})
    assert status == 202, created
    webspace = db.session.get(Webspace, created["id"])
    (domain,) = webspace.domains
    assert domain.state == "unverified" and domain.last_job_id is None
    job = db.session.get(Job, created["job_id"])
    assert "domain_name" not in job.extra_vars


@pytest.mark.parametrize(
    ("first_domain", "field"),
    [
        ({"name": "not a domain"}, "first_domain_name"),
        ({"name": "shop.coop.example", "redirect": "ftp://x"}, "first_domain_redirect"),
        ({"name": "shop.coop.example", "document_root": "../../etc"}, "first_domain_document_root"),
    ],
)
def test_a_bad_first_domain_is_refused_and_nothing_is_written(
    api_as, web_host, own_zone, first_domain, field
):
    client, _ = api_as("member")
    before = count(Webspace), count(Domain), count(Job), count(AuditEntry)
    status, body = create(client, first_domain)
    assert status == 422, body
    assert field in body["error"]["fields"], body
    assert (count(Webspace), count(Domain), count(Job), count(AuditEntry)) == before


def test_a_taken_first_domain_is_refused_and_nothing_is_written(
    api_as, web_host, own_zone, make_member
):
    client, _ = api_as("member")
    assert create(client, {"name": "shop.coop.example", "tls": False})[0] == 202
    other, _ = api_as("member")
    before = count(Webspace), count(Domain), count(Job)
    status, body = create(other, {"name": "shop.coop.example"})
    assert status == 409, body
    assert "first_domain_name" in body["error"]["fields"]
    assert (count(Webspace), count(Domain), count(Job)) == before


def test_the_form_creates_a_webspace_with_its_first_domain(login_as, web_host, own_zone):
    client, _ = login_as("member")
    page = client.get("/webspaces")
    assert b'name="first_domain_name"' in page.data
    response = client.post(
        "/webspaces",
        data={"first_domain_name": "blog.coop.example", "first_domain_tls": "y"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    db.session.expire_all()
    domain = db.session.scalar(select(Domain).where(Domain.name == "blog.coop.example"))
    assert domain.tls is True and domain.state == "pending"
    assert domain.last_job_id == domain.webspace.last_job_id

    refused = client.post("/webspaces", data={"first_domain_name": "not a domain"})
    assert refused.status_code == 422
    assert b"first_domain_name" in refused.data
    assert count(Webspace) == 1


@pytest.mark.parametrize("first_domain", [{"name": 5}, {"name": "a.coop.example", "x": 1}, "a"])
def test_a_malformed_first_domain_is_refused_by_the_api(api_as, web_host, first_domain):
    client, _ = api_as("member")
    status, body = create(client, first_domain)
    assert status == 422, body
    assert any(name.startswith("first_domain") for name in body["error"]["fields"]), body
    assert count(Webspace) == 0
