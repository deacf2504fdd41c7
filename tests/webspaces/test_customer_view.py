"""A reseller's customer reads the webspaces its reseller named as serving it, their usage and
their jobs, and changes none of them; nothing of another customer's or of the reseller's own."""

from datetime import timedelta

import pytest
from ledger_rows import ledger_row
from sqlalchemy import func, select

from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db
from panel.provisioning import operations as provisioning
from panel.provisioning.models import Job
from panel.webspaces import domains
from panel.webspaces.customers import assign_customer


@pytest.fixture
def reseller(make_user):
    return make_user("reseller")


@pytest.fixture
def world(reseller, make_user, make_webspace):
    """The customer's webspace, its sibling's and the reseller's own, each with an hour of
    traffic."""
    customer = make_user("customer", email="shop@example.org", reseller=reseller)
    sibling = make_user("customer", email="cafe@example.org", reseller=reseller)
    served, beside, own = (make_webspace(reseller.member) for _ in range(3))
    with acting("cli", reseller):
        assign_customer(served, customer.id)
        assign_customer(beside, sibling.id)
    hour = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    rows = {
        webspace.id: ledger_row(webspace, "traffic", 1000, hour)
        for webspace in (served, beside, own)
    }
    return customer, served, beside, own, rows


def test_the_customer_lists_only_the_webspaces_serving_it(world, login_as, api_as):
    customer, served, beside, own, _ = world
    client, _ = login_as(customer)

    page = client.get("/webspaces")
    listed = api_as(customer)[0].get("/api/v1/webspaces").json

    assert page.status_code == 200
    assert served.name in page.text
    assert beside.name not in page.text and own.name not in page.text
    assert "New webspace" not in page.text
    assert [row["name"] for row in listed] == [served.name]


def test_the_customer_reads_its_webspace_without_any_form(world, login_as):
    customer, served, beside, own, _ = world
    with acting("cli"):
        domains.add_domain(served, "shop.example.org")
    client, _ = login_as(customer)

    page = client.get(f"/webspaces/{served.id}")

    assert page.status_code == 200
    assert "shop.example.org" in page.text
    # The page's content, not the confirmation dialog every page carries after it.
    assert "<form" not in page.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert client.get(f"/webspaces/{beside.id}").status_code == 404
    assert client.get(f"/webspaces/{own.id}").status_code == 404


def test_the_customer_changes_nothing_of_its_webspace(world, login_as, api_as):
    customer, served, *_ = world
    client, _ = login_as(customer)
    api, _ = api_as(customer)
    jobs = db.session.scalar(select(func.count()).select_from(Job))

    assert client.post(f"/webspaces/{served.id}/delete").status_code == 403
    assert client.post(f"/webspaces/{served.id}/domains", data={"name": "x.org"}).status_code == 403
    assert api.delete(f"/api/v1/webspaces/{served.id}").status_code == 403
    answer = api.post(f"/api/v1/webspaces/{served.id}/domains", json={"name": "x.example.org"})
    assert answer.status_code == 403
    assert set(answer.json["error"]) == {"code", "message", "fields"}
    db.session.expire_all()
    assert served.state == "active" and served.domains == []
    assert db.session.scalar(select(func.count()).select_from(Job)) == jobs


def test_the_customer_reads_the_usage_of_the_webspaces_serving_it(world, login_as, api_as):
    customer, served, beside, own, rows = world
    api, _ = api_as(customer)

    listed = api.get("/api/v1/usage?page_size=100").json
    page = login_as(customer)[0].get("/usage")

    assert [row["id"] for row in listed] == [rows[served.id].id]
    assert api.get(f"/api/v1/usage?webspace={beside.id}").status_code == 404
    assert api.get(f"/api/v1/usage?webspace={own.id}").status_code == 404
    assert page.status_code == 200
    assert served.name in page.text and beside.name not in page.text


def test_the_customer_reads_the_jobs_of_its_webspaces_and_retries_none(world, login_as, api_as):
    customer, served, beside, own, _ = world
    api, _ = api_as(customer)
    with acting("cli"):
        failed = provisioning.create_job(
            "ping", ["web1"], resource=served, member_id=served.member_id
        )
        db.session.commit()
        provisioning.finish_job(failed, "failed", stats={})
        db.session.commit()

    listed = {row["id"] for row in api.get("/api/v1/jobs?page_size=100").json}

    assert listed == {served.last_job_id, failed.id}
    assert beside.last_job_id not in listed and own.last_job_id not in listed
    page = login_as(customer)[0].get(f"/jobs/{failed.id}")
    assert page.status_code == 200 and "Retry" not in page.text
    assert api.get(f"/api/v1/jobs/{beside.last_job_id}").status_code == 404
    assert api.post(f"/api/v1/jobs/{failed.id}/retry").status_code == 403
    assert db.session.scalar(select(func.count()).where(Job.retry_of_id == failed.id)) == 0


def test_a_webspace_named_for_another_customer_is_no_longer_read(
    world, login_as, reseller, make_user
):
    customer, served, *_ = world
    other = make_user("customer", email="next@example.org", reseller=reseller)
    client, _ = login_as(customer)
    assert client.get(f"/webspaces/{served.id}").status_code == 200

    with acting("cli", reseller):
        assign_customer(served, other.id)

    assert client.get(f"/webspaces/{served.id}").status_code == 404
    assert client.get(f"/jobs/{served.last_job_id}").status_code == 404
