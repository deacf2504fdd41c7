"""A resource on its way shows its job's step and asks for itself again every 2 s until it
settles; a failed one says in plain words what failed and offers a retry, and only admins see
the job and the technical reason."""

import pytest
from sqlalchemy import select
from webspace_jobs import fail, succeed

from panel.core.audit import acting
from panel.extensions import db
from panel.provisioning.models import Job, JobEvent, JobStatus
from panel.webspaces import databases, domains, sftp_users
from panel.webspaces import operations as webspaces
from panel.webspaces.customers import assign_customer
from panel.webspaces.models import Domain

POLLING = 'hx-trigger="every 2s"'
RAW = (
    "unreachable: web1: web1: Task failed: Failed to connect to the host via ssh:"
    " root@127.0.0.1: Permission denied (publickey,password)"
)
UNREACHABLE = "Our server could not be reached, so nothing was changed."
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


@pytest.fixture
def pending(login_as, web_host):
    """A member's webspace whose set-up job is still queued, and the member's client."""
    client, user = login_as("member")
    with acting("cli", user):
        webspace, job = webspaces.create_webspace(user.member)
    return client, webspace, job


def run_task(job: Job, counter: int, task: str) -> None:
    """The job runs and has reached TASK, as the worker's events say."""
    job.status = JobStatus.RUNNING
    db.session.add(
        JobEvent(job_id=job.id, counter=counter, event="playbook_on_task_start", task=task)
    )
    db.session.commit()


def test_a_pending_webspace_polls_until_it_settles(pending):
    client, webspace, job = pending
    url = f"/webspaces/{webspace.id}/state"

    page = client.get(f"/webspaces/{webspace.id}").text
    assert f'hx-get="{url}"' in page and POLLING in page
    assert "htmx-2.0.11.min.js" in page and 'name="htmx-config"' in page
    fragment = client.get(url).text
    assert POLLING in fragment and 'class="spinner"' in fragment
    assert '<small class="step">queued</small>' in fragment
    assert f'hx-get="{url}"' in client.get("/webspaces").text

    run_task(job, 1, "Gathering Facts")
    run_task(job, 4, "Create the webspace user")
    assert "Task 2: Create the webspace user" in client.get(url).text

    with acting("worker"):
        succeed(job)
    settled = client.get(url).text
    assert POLLING not in settled and "hx-get" not in settled and "spinner" not in settled
    assert 'state-active">active<' in settled
    assert POLLING not in client.get(f"/webspaces/{webspace.id}").text


def test_the_parts_of_a_webspace_poll_too(login_as, make_webspace):
    client, user = login_as("member")
    webspace = make_webspace(user.member)
    with acting("cli", user):
        database, _job, _password = databases.create_database(webspace, "mariadb", "shop")
        login, _job = sftp_users.create_sftp_user(webspace, f"{webspace.name}-anna", KEY)
    page = client.get(f"/webspaces/{webspace.id}").text
    for url in (f"/databases/{database.id}/state", f"/sftp-users/{login.id}/state"):
        assert f'hx-get="{url}"' in page
        assert POLLING in client.get(url).text
    with acting("worker"):
        fail(database.last_job, RAW)
    failed = client.get(f"/databases/{database.id}/state").text
    assert POLLING not in failed and UNREACHABLE in failed and "Permission denied" not in failed


def test_a_member_reads_the_failure_in_plain_words_and_may_retry(pending):
    client, webspace, job = pending
    with acting("worker"):
        fail(job, RAW)

    for path in (f"/webspaces/{webspace.id}", f"/webspaces/{webspace.id}/state", "/webspaces"):
        text = client.get(path).text
        assert "Setting this up failed." in text and UNREACHABLE in text
        assert "Permission denied" not in text and "Failed to connect" not in text
        assert f'action="/jobs/{job.id}/retry"' in text
        assert 'class="technical"' not in text
        assert f'href="/jobs/{job.id}"' not in text, "the job's link is for admins"

    answer = client.post(f"/jobs/{job.id}/retry", data={"next": f"/webspaces/{webspace.id}"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/webspaces/{webspace.id}"
    db.session.refresh(webspace)
    assert webspace.state == "pending" and webspace.last_job.retry_of_id == job.id
    assert POLLING in client.get(f"/webspaces/{webspace.id}/state").text


def test_a_retry_goes_only_back_to_a_page_of_the_panel(pending):
    client, _webspace, job = pending
    with acting("worker"):
        fail(job, RAW)
    answer = client.post(f"/jobs/{job.id}/retry", data={"next": "//evil.example/"})
    assert answer.headers["Location"].startswith("/jobs/")


def test_an_admin_sees_the_job_and_the_technical_reason(pending, login_as):
    _client, webspace, job = pending
    with acting("worker"):
        fail(job, RAW)
    admin, _ = login_as("admin")
    text = admin.get(f"/webspaces/{webspace.id}").text
    assert UNREACHABLE in text
    assert f'<a href="/jobs/{job.id}">Job {job.id}</a>' in text
    assert "Permission denied (publickey,password)" in text


def test_a_customer_reads_the_failure_without_a_retry(make_user, make_webspace, login_as):
    reseller = make_user("reseller")
    customer = make_user("customer", email="shop@example.org", reseller=reseller)
    webspace = make_webspace(reseller.member)
    with acting("cli", reseller):
        assign_customer(webspace, customer.id)
        _, job = webspaces.suspend_webspace(webspace)
    with acting("worker"):
        fail(job, "timed out after 1800 s")
    client, _ = login_as(customer)
    text = client.get(f"/webspaces/{webspace.id}/state").text
    assert "The change took too long and was stopped." in text
    assert "/retry" not in text and "1800" not in text


def test_a_failed_certificate_reads_as_one(login_as, make_user, make_webspace):
    client, user = login_as("member")
    webspace = make_webspace(user.member)
    with acting("cli", make_user("admin")):
        domains.add_domain(webspace, "example.org")
    domain = db.session.scalar(select(Domain))
    certbot = "web1: Certbot failed to authenticate some domains"
    with acting("worker"):
        fail(domain.last_job, certbot, {"domain": {"tls_error": certbot}})
    text = client.get(f"/webspaces/{webspace.id}").text
    assert "No certificate could be issued for this domain" in text
    assert "Certbot" not in text
    assert f'action="/jobs/{domain.last_job.id}/retry"' in text
    assert "No certificate" in client.get(f"/domains/{domain.id}/state").text


def test_the_german_page_speaks_plainly_too(pending):
    client, webspace, job = pending
    with acting("worker"):
        fail(job, RAW)
    with client.session_transaction() as session:
        session["lang"] = "de"
    text = client.get(f"/webspaces/{webspace.id}").text
    assert "Unser Server war nicht erreichbar" in text and "Erneut versuchen" in text


def test_a_live_part_asked_for_after_the_session_ended_sends_the_page_to_the_login(pending, app):
    _client, webspace, _job = pending
    stranger = app.test_client()
    answer = stranger.get(
        f"/webspaces/{webspace.id}/state",
        headers={"HX-Request": "true", "HX-Current-URL": f"http://panel/webspaces/{webspace.id}"},
    )
    assert answer.status_code == 204 and not answer.data
    assert answer.headers["HX-Redirect"] == f"/login?next=/webspaces/{webspace.id}"
    assert stranger.get(f"/webspaces/{webspace.id}/state").status_code == 302
