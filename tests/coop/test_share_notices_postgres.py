"""Two notices on the same shares at once cannot both pass, on PostgreSQL (a database of the
test's own, committed for real: the two sessions must see each other)."""

import threading

import pytest
from scratch_databases import app_on_own_postgres
from sqlalchemy import select

from panel.coop.models import Member, ShareNotice
from panel.coop.notices import give_share_notice
from panel.coop.operations import create_member, record_share_transaction
from panel.core.audit import acting
from panel.core.errors import Conflict
from panel.extensions import db


@pytest.fixture(autouse=True)
def transaction():
    """This test commits to a database of its own."""
    yield


@pytest.fixture
def app(tmp_path):
    yield from app_on_own_postgres(tmp_path, "panel_notices")


def test_two_notices_at_once_cannot_both_count_the_same_shares(app):
    with app.app_context(), acting("cli"):
        member = create_member(name="Racing", email="race@example.org", prefix="rac")
        record_share_transaction(member, "subscription", 3, "2025-01-01")
        member_id = member.id
        db.session.remove()

    # 3 shares, 1 must stay: either notice on 2 alone passes, the two together would not.
    barrier = threading.Barrier(2)
    refused, errors = [], []

    def give_notice() -> None:
        try:
            with app.app_context(), acting("cli"):
                racing = db.session.get(Member, member_id)
                barrier.wait(timeout=30)
                try:
                    give_share_notice(racing, 2)
                except Conflict as exc:
                    refused.append(str(exc.message))
                finally:
                    db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=give_notice) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert refused == [
        "Notice is possible on at most 0 of the 3 shares held: 2 are under notice "
        "already and 1 must stay as the minimum holding."
    ]
    with app.app_context():
        counts = db.session.scalars(
            select(ShareNotice.count).where(ShareNotice.member_id == member_id)
        ).all()
    assert counts == [2]
