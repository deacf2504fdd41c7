"""Resolutions for tests: a valid draft's data, a resolution moved straight into a phase (the
phase task has tests of its own), amendments as the discussion left them, the vote's end."""

from datetime import UTC, date, datetime, timedelta

from panel.core.audit import acting
from panel.extensions import db
from panel.governance import operations
from panel.governance.models import ItemKind, ItemState, Phase, ResolutionItem

CUTOFF = date(2026, 1, 15)


def resolution_data(**fields) -> dict:
    """A valid draft: discussion from in an hour for a week, then the vote for a week."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    data = {
        "title": "Annual accounts 2025",
        "text": "The general assembly **approves** the annual accounts.",
        "majority": "simple",
        "quorum_percent": 0,
        "secret": True,
        "cutoff": CUTOFF.isoformat(),
        "discussion_from": start.isoformat(),
        "voting_from": (start + timedelta(days=7)).isoformat(),
        "voting_until": (start + timedelta(days=14)).isoformat(),
    }
    data.update(fields)
    return data


def make_resolution(phase: str = Phase.VOTING, **fields):
    """A resolution in the phase, its times as the phase has them: in discussion the vote opens
    in a day, in voting it ends in a day."""
    with acting("cli"):
        resolution = operations.draft_resolution(resolution_data(**fields))
        if phase != Phase.DRAFT:
            operations.announce_resolution(resolution)
    now = datetime.now(UTC)
    if phase == Phase.DISCUSSION:
        resolution.discussion_from = now - timedelta(days=1)
        resolution.voting_from = now + timedelta(days=1)
        resolution.voting_until = now + timedelta(days=2)
        resolution.phase = Phase.DISCUSSION
        db.session.commit()
    if phase in (Phase.VOTING, Phase.CLOSED):
        resolution.discussion_from = now - timedelta(days=2)
        resolution.voting_from = now - timedelta(days=1)
        resolution.voting_until = now + timedelta(days=1)
        resolution.phase = Phase.VOTING
        db.session.commit()
    if phase == Phase.CLOSED:
        end_vote(resolution)
    return resolution


def add_amendment(resolution, state: str = ItemState.ON_BALLOT, title: str = "Amendment"):
    item = ResolutionItem(
        resolution_id=resolution.id,
        kind=ItemKind.AMENDMENT,
        state=state,
        title=title,
        text="Instead: the accounts are approved with a remark.",
    )
    db.session.add(item)
    db.session.commit()
    db.session.refresh(resolution)
    return item


def end_vote(resolution) -> None:
    """Let the vote's time run out and close it, as the phase task does."""
    now = datetime.now(UTC)
    resolution.voting_from = now - timedelta(days=1)
    resolution.voting_until = now - timedelta(seconds=1)
    db.session.commit()
    with acting("worker"):
        operations.close_resolution(resolution, now)
