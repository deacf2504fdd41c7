"""A resolution whose discussion runs, for the discussion's and the members' pages' tests."""

from datetime import UTC, datetime, timedelta

from resolutions_support import make_resolution

from panel.extensions import db
from panel.governance.models import Phase


def in_discussion(**fields):
    """A resolution in its discussion: opened a day ago, the vote opens in a day."""
    resolution = make_resolution(Phase.DISCUSSION, **fields)
    now = datetime.now(UTC)
    resolution.discussion_from = now - timedelta(days=1)
    resolution.voting_from = now + timedelta(days=1)
    resolution.voting_until = now + timedelta(days=2)
    db.session.commit()
    return resolution
