"""The board drafts, changes, announces and deletes resolutions; members see them announced."""

from datetime import UTC, datetime, timedelta

import pytest
from resolutions_support import make_resolution, resolution_data
from sqlalchemy import select

from panel.core.audit import acting
from panel.core.errors import Conflict, Forbidden, ValidationFailed
from panel.extensions import db
from panel.governance import operations
from panel.governance.models import Phase, Resolution, ResolutionItem


def test_a_change_keeps_the_motion_in_step_and_the_phases_in_order(count_rows):
    resolution = make_resolution(phase=Phase.DRAFT)
    with acting("cli"):
        operations.update_resolution(resolution, {"title": "Accounts", "text": "New text."})
    motion = operations.motion(resolution)
    assert (motion.title, motion.text) == ("Accounts", "New text.")

    late = (resolution.voting_until + timedelta(hours=1)).isoformat()
    with pytest.raises(ValidationFailed) as refused, acting("cli"):
        operations.update_resolution(resolution, {"voting_from": late})
    assert list(refused.value.fields) == ["voting_until"]
    db.session.refresh(resolution)
    assert resolution.voting_from < resolution.voting_until


def test_times_are_kept_in_utc_whatever_the_offset_given():
    resolution = make_resolution(
        phase=Phase.DRAFT,
        discussion_from="2030-05-01T20:00:00+02:00",
        voting_from="2030-05-08T12:00:00-05:00",
        voting_until="2030-05-15T20:00:00Z",
    )
    assert resolution.discussion_from == datetime(2030, 5, 1, 18, tzinfo=UTC)
    assert resolution.voting_from == datetime(2030, 5, 8, 17, tzinfo=UTC)
    assert resolution.voting_until == datetime(2030, 5, 15, 20, tzinfo=UTC)
    assert resolution.min_supporters == 3 and resolution.secret is True


def test_only_the_board_drafts(make_user, count_rows):
    member = make_user("member")
    with pytest.raises(Forbidden), acting("web", member):
        operations.draft_resolution(resolution_data())
    assert count_rows(Resolution) == 0 and count_rows(ResolutionItem) == 0


def test_an_announced_resolution_stays_as_it_is(count_rows):
    resolution = make_resolution(phase=Phase.ANNOUNCED)

    with acting("cli"):
        with pytest.raises(Conflict, match="already announced"):
            operations.announce_resolution(resolution)
        with pytest.raises(Conflict, match="Only a draft can be changed"):
            operations.update_resolution(resolution, {"title": "Other"})
        with pytest.raises(Conflict, match="Only a draft can be deleted"):
            operations.delete_draft(resolution)
    assert count_rows(Resolution) == 1
    assert resolution.title == "Annual accounts 2025"


def test_members_see_announced_resolutions_and_customers_none(make_user):
    draft = make_resolution(phase=Phase.DRAFT)
    announced = make_resolution(phase=Phase.ANNOUNCED)
    admin, member = make_user("admin"), make_user("member")
    customer = make_user("customer", reseller=make_user("reseller"))

    def seen(user):
        return set(db.session.scalars(operations.visible_resolutions(user)))

    assert seen(admin) == {draft, announced}
    assert seen(member) == {announced}
    assert seen(customer) == set()
    assert not operations.visible_to_members(draft)
    assert db.session.scalar(select(Resolution).where(Resolution.phase == Phase.DRAFT)) == draft
