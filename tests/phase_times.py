"""Resolutions on a fixed timetable for the phase and mail tests, and the periodic task's step
at a chosen moment."""

from datetime import UTC, datetime, timedelta

from resolutions_support import resolution_data

from panel.core.audit import acting
from panel.extensions import db
from panel.governance import operations, phases

DISCUSSION = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
VOTING = DISCUSSION + timedelta(days=7)
UNTIL = VOTING + timedelta(days=7)
SECOND = timedelta(seconds=1)


def announced(**fields):
    """An announced resolution with the phases above."""
    times = {
        "discussion_from": DISCUSSION.isoformat(),
        "voting_from": VOTING.isoformat(),
        "voting_until": UNTIL.isoformat(),
    }
    with acting("cli"):
        resolution = operations.draft_resolution(resolution_data(**{**times, **fields}))
        return operations.announce_resolution(resolution)


def advance(now: datetime) -> list[tuple[int, str]]:
    with acting("worker"):
        moved = phases.advance(now)
    db.session.expire_all()
    return moved
