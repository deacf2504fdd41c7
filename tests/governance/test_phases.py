"""Resolutions open and close their phases on time (the periodic task's advance), fix the
eligible members and the ballot when the vote opens, and catch up after a pause."""

from datetime import timedelta

import pytest
from phase_times import DISCUSSION, SECOND, UNTIL, VOTING, advance, announced
from resolutions_support import CUTOFF, add_amendment, resolution_data
from sqlalchemy import select

from panel.core.audit import AuditEntry, acting
from panel.core.models import utcnow
from panel.extensions import db
from panel.governance import operations
from panel.governance.models import AmendmentSupport, ItemState, Phase
from panel.notifications.kinds import Kind
from panel.notifications.models import Notification


def test_each_phase_opens_exactly_at_its_time(voter):
    voter()
    resolution = announced()
    steps = [
        (DISCUSSION - SECOND, Phase.ANNOUNCED, []),
        (DISCUSSION, Phase.DISCUSSION, [(resolution.id, "discussion")]),
        (VOTING - SECOND, Phase.DISCUSSION, []),
        (VOTING, Phase.VOTING, [(resolution.id, "voting")]),
        (UNTIL - SECOND, Phase.VOTING, []),
        (UNTIL, Phase.CLOSED, [(resolution.id, "closed")]),
        (UNTIL + timedelta(days=1), Phase.CLOSED, []),
    ]
    for now, phase, moved in steps:
        assert advance(now) == moved, now
        assert resolution.phase == phase, now
    assert resolution.closed_at == UNTIL
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "Resolution", AuditEntry.object_id == str(resolution.id))
        .where(AuditEntry.source == "worker")
        .order_by(AuditEntry.id)
    ).all()
    assert [action for action in actions if action != "resolution.mail"] == [
        "resolution.discussion",
        "resolution.voting",
        "resolution.close",
    ]


def test_drafts_and_closed_resolutions_stay_where_they_are():
    with acting("cli"):
        draft = operations.draft_resolution(
            resolution_data(
                discussion_from=DISCUSSION.isoformat(),
                voting_from=VOTING.isoformat(),
                voting_until=UNTIL.isoformat(),
            )
        )
    closed = announced(title="Closed already")
    advance(UNTIL)

    assert advance(UNTIL + timedelta(days=30)) == []
    assert draft.phase == Phase.DRAFT and closed.phase == Phase.CLOSED


def test_the_vote_fixes_the_eligible_members_at_the_cutoff(voter):
    voter(on=CUTOFF - timedelta(days=400))
    voter(on=CUTOFF)
    voter(on=CUTOFF + timedelta(days=1))
    resolution = announced()
    advance(DISCUSSION)
    assert resolution.eligible_count is None

    advance(VOTING)
    assert resolution.eligible_count == 2
    voter(on=CUTOFF - timedelta(days=1))
    advance(UNTIL)
    assert resolution.eligible_count == 2


def test_amendments_with_their_supporters_go_on_the_ballot_the_others_do_not(voter):
    supporters = [voter() for _ in range(3)]
    resolution = announced(min_supporters=2)
    advance(DISCUSSION)
    enough = add_amendment(resolution, ItemState.PROPOSED, "Enough support")
    too_few = add_amendment(resolution, ItemState.PROPOSED, "Too little support")
    withdrawn = add_amendment(resolution, ItemState.WITHDRAWN, "Withdrawn")
    for item, members in ((enough, supporters[:2]), (too_few, supporters[:1])):
        db.session.add_all(AmendmentSupport(item_id=item.id, member_id=m.id) for m in members)
    db.session.commit()

    advance(VOTING)
    states = [item.state for item in (enough, too_few, withdrawn)]
    assert states == [ItemState.ON_BALLOT, ItemState.NOT_ADMITTED, ItemState.WITHDRAWN]
    assert [item.id for item in operations.ballot_items(resolution)] == [
        operations.motion(resolution).id,
        enough.id,
    ]


def test_missed_phases_catch_up_at_once_with_only_the_result_mailed(voter, smtp_server):
    member = voter()
    resolution = announced()

    moved = advance(UNTIL + timedelta(hours=5))

    assert moved == [(resolution.id, phase) for phase in ("discussion", "voting", "closed")]
    assert resolution.phase == Phase.CLOSED and resolution.eligible_count == 1
    assert resolution.discussion_mail_at is None and resolution.voting_mail_at is None
    assert resolution.discussion_reminder_at is None and resolution.voting_reminder_at is None
    assert resolution.result_mail_at == UNTIL + timedelta(hours=5)
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == member.users[0].id)
    ).all()
    assert kinds == [Kind.RESOLUTION_RESULT]
    assert [mail["Subject"] for mail in smtp_server.messages] == ["Result: Annual accounts 2025"]


def test_a_vote_opened_late_mails_its_opening_but_no_reminder_in_its_last_day(voter, smtp_server):
    voter()
    resolution = announced()

    assert advance(UNTIL - timedelta(hours=2)) == [
        (resolution.id, "discussion"),
        (resolution.id, "voting"),
    ]
    assert [mail["Subject"] for mail in smtp_server.messages] == ["Vote now: Annual accounts 2025"]
    # The opening mail already says when the vote ends.
    advance(UNTIL - timedelta(hours=1))
    assert len(smtp_server.messages) == 1
    assert resolution.voting_reminder_at is None


def test_the_periodic_task_is_registered_and_runs_advance(app, voter):
    voter()
    now = utcnow()
    resolution = announced(
        discussion_from=(now - timedelta(minutes=1)).isoformat(),
        voting_from=(now + timedelta(days=1)).isoformat(),
        voting_until=(now + timedelta(days=2)).isoformat(),
    )
    task = app.extensions["queue_tasks"]["governance_phases"]
    periodic = {entry.name for entry in app.extensions["queue"]._registry.periodic_tasks}
    assert task.name in periodic

    task.call_local()

    db.session.expire_all()
    assert resolution.phase == Phase.DISCUSSION
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "resolution.discussion")
    ).one()
    assert entry.source == "worker"


@pytest.mark.parametrize("now", [None, UNTIL])
def test_advance_without_resolutions_does_nothing(now):
    assert advance(now) == []
