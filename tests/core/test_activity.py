"""A member's activity reads as sentences in their language, without internal ids; admins keep
the audit log's detailed rows."""

import re

import pytest

from panel.core.audit import acting, record
from panel.extensions import db
from panel.provisioning.models import JobStatus
from panel.provisioning.operations import finish_job
from panel.webspaces import domains, operations

WORKER_ID = "huey-worker-7f3a"


def _finish(job) -> None:
    with acting("worker"):
        record("job.running", job, after={"worker_id": WORKER_ID}, member_id=job.member_id)
        finish_job(
            job,
            JobStatus.SUCCESSFUL,
            stats={"data": {"webspace": {"uid": 2000, "quota_enforced": False}}},
        )
    db.session.commit()


@pytest.fixture
def history(make_host, make_user):
    """A member created a webspace (the worker set it up) and added a domain; the office then
    suspended the webspace and changed something the activity has no sentence for."""
    make_host("web1")
    admin = make_user("admin")
    alice = make_user("member")
    with acting("web", alice):
        webspace, job = operations.create_webspace(alice.member)
    _finish(job)
    with acting("web", alice):
        # Not verified yet (it waits for its DNS record): no job.
        domains.add_domain(webspace, "bäckerei-müller.de")
    with acting("web", admin):
        _webspace, job = operations.suspend_webspace(webspace)
        record("test.unheard_of", alice.member, member_id=alice.member_id)
    db.session.commit()
    return alice, admin, webspace, job


def _activity(page: str) -> str:
    """The text of the page's activity list."""
    found = re.search(r'<ol class="activity">(.*?)</ol>', page, re.S)
    assert found, "no activity list on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def test_a_member_reads_sentences_in_english(history, login_as):
    alice, _admin, webspace, job = history
    client, _ = login_as(alice)
    page = client.get("/audit").text
    text = _activity(page)
    for sentence in (
        f"You created the webspace {webspace.name}.",
        f"Your webspace {webspace.name} is ready.",
        "You added the domain bäckerei-müller.de.",
        f"The office suspended your webspace {webspace.name}.",
        f"The office made a change to {alice.member.name}.",
        "Work on the servers began.",
        "The panel registered you as a member.",
    ):
        assert sentence in text
    # Nothing internal: no worker id, job ids, action names or raw values.
    for internal in (WORKER_ID, "job_id", "webspace.create", "test.unheard_of", "xn--", "{"):
        assert internal not in text
    assert f"#{job.id}" not in page
    assert '<table class="stack audit">' not in page


def test_a_member_reads_sentences_in_german(history, login_as):
    alice, _admin, webspace, _job = history
    alice.locale = "de"
    db.session.commit()
    client, _ = login_as(alice)
    text = _activity(client.get("/audit").text)
    for sentence in (
        f"Sie haben den Webspace {webspace.name} angelegt.",
        f"Ihr Webspace {webspace.name} ist bereit.",
        "Sie haben die Domain bäckerei-müller.de hinzugefügt.",
        f"Die Geschäftsstelle hat Ihren Webspace {webspace.name} gesperrt.",
        f"Die Geschäftsstelle hat eine Änderung an {alice.member.name} vorgenommen.",
    ):
        assert sentence in text
    assert "You " not in text and WORKER_ID not in text


def test_an_admin_keeps_the_detailed_rows(history, login_as):
    _alice, admin, _webspace, _job = history
    client, _ = login_as(admin)
    page = client.get("/audit").text
    assert '<table class="stack audit">' in page
    assert '<ol class="activity">' not in page
    assert "webspace.suspend" in page and "test.unheard_of" in page and WORKER_ID in page
