"""Every eligible member gets mail through a real SMTP server when a resolution's discussion or
vote opens, a day before each ends, and with the result: once each, in their language. Members
without mail find the same among their notifications."""

from datetime import timedelta

import pytest
from phase_times import DISCUSSION, UNTIL, VOTING, advance, announced
from resolutions_support import CUTOFF
from sqlalchemy import select, update

from panel.core.audit import AuditEntry, acting
from panel.extensions import db
from panel.governance import operations, phases
from panel.governance.models import Resolution
from panel.notifications.kinds import Kind
from panel.notifications.models import Notification
from panel.notifications.operations import set_mailed_kinds

TITLE = "Annual accounts 2025"


@pytest.fixture
def register(voter, make_member):
    """Two members on the register at the cutoff (one reads German), one admitted after it,
    one whose membership ended before it."""
    english = voter(email="english@example.org")
    german = voter(email="german@example.org")
    german.users[0].locale = "de"
    late = voter(on=CUTOFF + timedelta(days=1), email="late@example.org")
    gone = make_member(on=CUTOFF - timedelta(days=30), email="gone@example.org")
    with acting("cli"):
        from panel.coop.operations import cancel_membership, end_membership

        cancel_membership(gone, CUTOFF - timedelta(days=20))
        end_membership(gone, CUTOFF - timedelta(days=1))
    db.session.commit()
    return {"english": english, "german": german, "late": late, "gone": gone}


def mails(smtp_server) -> dict[str, list[str]]:
    """Subjects by recipient."""
    received: dict[str, list[str]] = {}
    for message in smtp_server.messages:
        received.setdefault(message["To"], []).append(message["Subject"])
    return received


def test_the_discussion_opens_with_mail_to_every_eligible_member_in_their_language(
    register, smtp_server
):
    resolution = announced()
    advance(DISCUSSION)

    assert mails(smtp_server) == {
        "english@example.org": [f"Discussion opened: {TITLE}"],
        "german@example.org": [f"Aussprache eröffnet: {TITLE}"],
    }
    english = next(m for m in smtp_server.messages if m["To"] == "english@example.org")
    body = english.get_content()
    assert "March 9, 2026, 6:00\u202fPM (Europe/Berlin)" in body
    assert f"http://panel.test/resolutions/{resolution.id}" in body
    german = next(m for m in smtp_server.messages if m["To"] == "german@example.org")
    assert "9. März 2026" in german.get_content()
    assert resolution.discussion_mail_at == DISCUSSION

    advance(DISCUSSION + timedelta(minutes=1))
    advance(DISCUSSION + timedelta(hours=3))
    assert len(smtp_server.messages) == 2


def test_each_phase_mails_its_opening_its_reminder_and_the_result_once(
    register, smtp_server, voter
):
    resolution = announced()
    schedule = [
        (DISCUSSION, f"Discussion opened: {TITLE}"),
        (VOTING - timedelta(days=1, seconds=1), None),
        (VOTING - timedelta(days=1), f"The discussion ends tomorrow: {TITLE}"),
        (VOTING - timedelta(hours=1), None),
        (VOTING, f"Vote now: {TITLE}"),
        (UNTIL - timedelta(days=2), None),
        (UNTIL - timedelta(hours=23), f"The vote ends tomorrow: {TITLE}"),
        (UNTIL - timedelta(minutes=1), None),
        (UNTIL, f"Result: {TITLE}"),
        (UNTIL + timedelta(days=1), None),
    ]
    for now, subject in schedule:
        before = len(smtp_server.messages)
        advance(now)
        sent = [m["Subject"] for m in smtp_server.messages[before:] if m["To"].startswith("en")]
        assert sent == ([subject] if subject else []), now

    recipients = {message["To"] for message in smtp_server.messages}
    assert recipients == {"english@example.org", "german@example.org"}
    assert len(smtp_server.messages) == 10
    result = next(m for m in smtp_server.messages if m["Subject"] == f"Ergebnis: {TITLE}")
    assert "nicht angenommen" in result.get_content()
    assert resolution.voting_reminder_at == UNTIL - timedelta(hours=23)


def test_the_result_mail_gives_the_count(register, smtp_server):
    resolution = announced()
    advance(VOTING)
    motion_id = operations.motion(resolution).id
    # The ballots are cast while the vote is open by the clock; then it runs out.
    now = resolution.voting_until
    resolution.voting_until = now + timedelta(days=10000)
    db.session.commit()
    for member, choice in ((register["english"], "yes"), (register["german"], "abstain")):
        operations.cast_ballot(resolution, member, {motion_id: choice})
    resolution.voting_until = now
    db.session.commit()

    advance(UNTIL)

    english = [m for m in smtp_server.messages if m["Subject"] == f"Result: {TITLE}"]
    assert len(english) == 1
    assert "the motion is passed (yes 1, no 0, abstentions 1)" in english[0].get_content()


def test_members_without_mail_see_the_same_in_the_panel(register, app):
    app.config["SMTP_URL"] = None
    resolution = announced()
    advance(DISCUSSION)

    for name, expected in (("english", 1), ("german", 1), ("late", 0), ("gone", 0)):
        stored = db.session.scalars(
            select(Notification).where(Notification.user_id == register[name].users[0].id)
        ).all()
        assert len(stored) == expected, name
    german = db.session.scalars(
        select(Notification).where(Notification.user_id == register["german"].users[0].id)
    ).one()
    assert german.kind == Kind.RESOLUTION_PHASE
    assert german.subject == f"Aussprache eröffnet: {TITLE}"
    assert german.link == f"/resolutions/{resolution.id}"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "resolution.mail")
    ).one()
    assert entry.after == {"mail": "discussion_mail", "recipients": 2}


def test_a_member_who_switched_the_reminders_off_gets_none_by_mail(register, smtp_server):
    user = register["english"].users[0]
    with acting("web", user):
        set_mailed_kinds(user, [Kind.RESOLUTION_PHASE, Kind.RESOLUTION_RESULT])
    announced()
    advance(DISCUSSION)
    advance(VOTING - timedelta(hours=2))

    assert mails(smtp_server)["english@example.org"] == [f"Discussion opened: {TITLE}"]
    assert len(mails(smtp_server)["german@example.org"]) == 2


def test_a_worker_that_finds_the_mail_sent_meanwhile_sends_it_not_again(register, smtp_server):
    resolution = announced()
    advance(DISCUSSION - timedelta(minutes=1))
    assert resolution.phase == "announced"
    resolution.phase = "discussion"
    db.session.flush()
    # Another worker sent the opening mail meanwhile; this session still holds the old row.
    db.session.execute(
        update(Resolution)
        .where(Resolution.id == resolution.id)
        .values(discussion_mail_at=DISCUSSION)
        .execution_options(synchronize_session=False)
    )
    assert resolution.discussion_mail_at is None

    with acting("worker"):
        phases._send_due_mail(resolution.id, DISCUSSION + timedelta(minutes=1))

    assert smtp_server.messages == []
    assert resolution.discussion_mail_at == DISCUSSION
