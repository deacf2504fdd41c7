"""Notifications: stored in the recipient's language, mailed through a real SMTP server unless
the kind is switched off, kept when the mail fails; each user sees and marks only their own."""

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.core.audit import acting
from panel.extensions import db
from panel.notifications import events
from panel.notifications.kinds import Kind
from panel.notifications.models import Notification
from panel.notifications.operations import notify, set_mailed_kinds


def notifications_of(user) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def test_a_notification_is_stored_and_mailed_in_the_recipients_language(
    make_user, admin, smtp_server
):
    german = make_user("admin")
    german.locale = "de"
    db.session.commit()
    events.host_unreachable(7, "web7", "no route to host")
    db.session.commit()

    english = notifications_of(admin)[0]
    assert english.kind == Kind.HOST_UNREACHABLE
    assert english.subject == "Host web7 is unreachable"
    assert english.link == "/admin/hosts/7"
    assert notifications_of(german)[0].subject == "Host web7 ist nicht erreichbar"
    mails = {mail["To"]: mail for mail in smtp_server.messages}
    assert mails[admin.email]["Subject"] == "Host web7 is unreachable"
    assert "no route to host" in mails[admin.email].get_content()
    assert "http://panel.test/admin/hosts/7" in mails[admin.email].get_content()
    assert mails[german.email]["Subject"] == "Host web7 ist nicht erreichbar"


def test_nothing_is_mailed_before_the_commit_nor_after_a_rollback(admin, smtp_server):
    notify(Kind.JOB_FAILED, [admin], _l("Job failed"), "body")
    assert smtp_server.messages == []
    db.session.rollback()
    db.session.commit()
    assert smtp_server.messages == []
    assert notifications_of(admin) == []


def test_a_kind_switched_off_is_stored_but_not_mailed(admin, smtp_server):
    with acting("web", admin):
        set_mailed_kinds(admin, ["host_unreachable"])
    events.job_failed(3, "ping", "failed", "it broke", ["web1"])
    events.host_unreachable(1, "web1", "down")
    db.session.commit()
    assert [item.kind for item in notifications_of(admin)] == ["job_failed", "host_unreachable"]
    assert [mail["Subject"] for mail in smtp_server.messages] == ["Host web1 is unreachable"]


def test_a_mail_that_fails_keeps_the_notification(admin, mail_down, caplog):
    events.host_unreachable(1, "web1", "down")
    db.session.commit()
    assert [item.subject for item in notifications_of(admin)] == ["Host web1 is unreachable"]
    assert "notification mail to" in caplog.text


def test_disabled_accounts_get_nothing(make_user, smtp_server):
    gone = make_user("admin")
    gone.is_enabled = False
    db.session.commit()
    events.metering_failed("Prometheus did not answer")
    db.session.commit()
    assert notifications_of(gone) == []
    assert gone.email not in [mail["To"] for mail in smtp_server.messages]


def test_the_page_lists_only_the_users_own_and_marks_them_read(login_as, make_user):
    client, member = login_as("member")
    other = make_user("member")
    mine = notify(Kind.RESOURCE_FAILED, [member], "Webspace abc00 failed", "The reason.")[0]
    notify(Kind.RESOURCE_FAILED, [other], "Someone else's", "Not yours.")
    db.session.commit()

    page = client.get("/notifications").get_data(as_text=True)
    assert "Webspace abc00 failed" in page and "Someone else" not in page
    assert 'id="unread-count">1' in page

    response = client.post(f"/notifications/{mine.id}/read")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, mine.id).read_at is not None
    assert 'id="unread-count"' not in client.get("/notifications").get_data(as_text=True)


def test_another_users_notification_is_not_found(login_as, make_user):
    client, _ = login_as("admin")
    theirs = notify(Kind.INVOICE_ISSUED, [make_user("member")], "Invoice", "Yours.")[0]
    db.session.commit()
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(login_as):
    client, member = login_as("member")
    item = notify(Kind.INVOICE_ISSUED, [member], "Invoice", "Yours.", "/invoices/5")[0]
    db.session.commit()
    response = client.post(f"/notifications/{item.id}/read", data={"open": "1"})
    assert response.headers["Location"] == "/invoices/5"


def test_all_are_marked_read_at_once(login_as, make_user):
    client, member = login_as("member")
    other = make_user("member")
    notify(Kind.RESOURCE_FAILED, [member, member, other], "Failed", "Reason.")
    db.session.commit()
    client.post("/notifications/read")
    db.session.expire_all()
    assert all(item.read_at is not None for item in notifications_of(member))
    assert notifications_of(other)[0].read_at is None


def test_the_account_page_switches_each_kind_of_the_users_role(login_as, smtp_server):
    client, member = login_as("member")
    page = client.get("/account").get_data(as_text=True)
    assert 'value="invoice_issued" checked' in page
    assert 'value="job_failed"' not in page

    client.post("/notifications/mail", data={"kinds": ["resource_failed", "job_failed"]})
    page = client.get("/account").get_data(as_text=True)
    assert 'value="invoice_issued">' in page
    assert 'value="resource_failed" checked' in page

    events.invoice_issued(member.member_id, 1, "2026-000001", 10)
    events.resource_failed(member.member_id, "webspaces", "abc00", "it broke", "/webspaces/1")
    db.session.commit()
    assert [mail["Subject"] for mail in smtp_server.messages] == ["Webspace abc00 failed"]
