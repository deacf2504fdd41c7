"""The discussion phase: comments and amendments of members entitled to vote, and the support
amendments need."""

from datetime import UTC, datetime, timedelta

import pytest
from discussion_support import in_discussion
from resolutions_support import CUTOFF, make_resolution
from sqlalchemy import select

from panel.core.audit import AuditEntry
from panel.core.errors import Conflict, Forbidden, ValidationFailed
from panel.extensions import db
from panel.governance import discussion, operations
from panel.governance.models import AmendmentSupport, Comment, ItemState, Phase, ResolutionItem


@pytest.fixture
def discussed():
    return in_discussion(min_supporters=3)


def _actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_an_eligible_member_comments_and_the_audit_log_says_so(discussed, voter):
    member = voter()
    comment = discussion.add_comment(discussed, member.users[0], "  I am in favour.\nReasons.  ")
    assert (comment.text, comment.member_id) == ("I am in favour.\nReasons.", member.id)
    (entry,) = _actions("resolution.comment")
    assert entry.member_id == member.id and entry.after["resolution_id"] == discussed.id


@pytest.mark.parametrize("phase", [Phase.ANNOUNCED, Phase.VOTING, Phase.CLOSED])
def test_comments_and_amendments_only_while_the_discussion_is_open(phase, voter, count_rows):
    resolution = make_resolution(phase)
    member = voter()
    with pytest.raises(Conflict):
        discussion.add_comment(resolution, member.users[0], "Too late.")
    with pytest.raises(Conflict):
        discussion.propose_amendment(resolution, member, "Late", "Too late.")
    assert count_rows(Comment) == 0
    assert count_rows(ResolutionItem) == 1


def test_the_discussion_closes_when_the_vote_is_due_even_before_the_phase_task_ran(
    discussed, voter, count_rows
):
    discussed.voting_from = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(Conflict):
        discussion.add_comment(discussed, voter().users[0], "Just in time?")
    assert count_rows(Comment) == 0


def test_a_member_who_joined_after_the_cutoff_takes_no_part(discussed, voter, count_rows):
    late = voter(on=CUTOFF + timedelta(days=1))
    with pytest.raises(Forbidden):
        discussion.add_comment(discussed, late.users[0], "May I?")
    with pytest.raises(Forbidden):
        discussion.propose_amendment(discussed, late, "Mine", "Text")
    item = discussion.propose_amendment(discussed, voter(), "Change", "Other words.")
    with pytest.raises(Forbidden):
        discussion.support_amendment(item, late)
    assert count_rows(Comment) == 0
    assert count_rows(AmendmentSupport) == 1


def test_a_login_without_a_member_record_cannot_comment(discussed, make_user, count_rows):
    with pytest.raises(Forbidden):
        discussion.add_comment(discussed, make_user("admin"), "The board speaks.")
    assert count_rows(Comment) == 0


@pytest.mark.parametrize(
    ("title", "text", "field"),
    [
        ("", "Text", "title"),
        ("x" * 201, "Text", "title"),
        ("Title", "   ", "text"),
        ("Title", "bell\x07", "text"),
        (["list"], "Text", "title"),
    ],
)
def test_an_amendment_with_bad_input_is_refused(discussed, voter, count_rows, title, text, field):
    with pytest.raises(ValidationFailed) as refused:
        discussion.propose_amendment(discussed, voter(), title, text)
    assert field in refused.value.fields
    assert count_rows(ResolutionItem) == 1 and count_rows(AmendmentSupport) == 0


def test_an_empty_or_overlong_comment_is_refused(discussed, voter, count_rows):
    user = voter().users[0]
    for text in ("", "x" * (discussion.MAX_COMMENT + 1)):
        with pytest.raises(ValidationFailed):
            discussion.add_comment(discussed, user, text)
    assert count_rows(Comment) == 0


def test_an_amendment_counts_each_supporter_once(discussed, voter):
    proposer, first, second = voter(), voter(), voter()
    item = discussion.propose_amendment(discussed, proposer, "Remark", "Approve *with* a remark.")
    assert item.state == ItemState.PROPOSED
    assert discussion.supporter_counts(discussed) == {item.id: 1}
    discussion.support_amendment(item, first)
    discussion.support_amendment(item, first)
    discussion.support_amendment(item, second)
    assert discussion.supporter_counts(discussed) == {item.id: 3}
    assert discussion.supported_by(discussed, first) == {item.id}
    assert len(_actions("resolution.amendment_support")) == 2

    discussion.withdraw_support(item, second)
    assert discussion.supporter_counts(discussed) == {item.id: 2}
    with pytest.raises(Conflict):
        discussion.withdraw_support(item, second)
    with pytest.raises(Conflict):
        discussion.withdraw_support(item, proposer)
    assert discussion.supporter_counts(discussed) == {item.id: 2}


def test_only_the_proposer_withdraws_an_amendment_and_then_nobody_supports_it(discussed, voter):
    proposer, other = voter(), voter()
    item = discussion.propose_amendment(discussed, proposer, "Remark", "With a remark.")
    with pytest.raises(Forbidden):
        discussion.withdraw_amendment(item, other)
    assert item.state == ItemState.PROPOSED
    discussion.withdraw_amendment(item, proposer)
    assert item.state == ItemState.WITHDRAWN
    with pytest.raises(Conflict):
        discussion.support_amendment(item, other)
    with pytest.raises(Conflict):
        discussion.withdraw_amendment(item, proposer)
    (entry,) = _actions("resolution.amendment_withdraw")
    assert entry.after == {"state": "withdrawn"}


def test_the_motion_is_no_amendment_to_support(discussed, voter, count_rows):
    with pytest.raises(Conflict):
        discussion.support_amendment(operations.motion(discussed), voter())
    assert count_rows(AmendmentSupport) == 0
