"""On PostgreSQL, with a database of the test's own committed for real (the workers must see
each other): two workers advancing at the same moment open each phase once and send each mail
once."""

import threading
from datetime import timedelta

import pytest
from phase_times import DISCUSSION, VOTING, announced
from resolutions_support import CUTOFF
from scratch_databases import app_on_own_postgres
from sqlalchemy import func, select

from panel.coop.operations import create_member
from panel.core.audit import AuditEntry, acting
from panel.extensions import db
from panel.governance import phases

WORKERS = 3


@pytest.fixture(autouse=True)
def transaction():
    """These tests commit to a database of their own."""
    yield


@pytest.fixture
def app(tmp_path):
    yield from app_on_own_postgres(tmp_path, "panel_phases", BASE_URL="http://panel.test")


def at_once(app, now) -> list:
    """phases.advance(NOW) in several workers at the same moment; their outcomes."""
    barrier = threading.Barrier(WORKERS)
    outcomes: list = []

    def work() -> None:
        try:
            with app.app_context(), acting("worker"):
                barrier.wait(timeout=30)
                outcomes.append(phases.advance(now))
                db.session.remove()
        except Exception as exc:  # reported below
            outcomes.append(("error", exc))

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_workers_at_the_same_moment_open_each_phase_once_and_mail_once(app, smtp_server):
    with app.app_context():
        for index in range(4):
            with acting("cli"):
                create_member(
                    name=f"Member {index}",
                    email=f"m{index}@example.org",
                    prefix=f"mb{chr(97 + index)}",
                    on=CUTOFF,
                )
        ids = [announced(title=f"Motion {index}").id for index in range(3)]

    for now, phase in ((DISCUSSION, "discussion"), (VOTING - timedelta(hours=2), None)):
        outcomes = at_once(app, now)
        assert not [o for o in outcomes if isinstance(o, tuple)], outcomes
        moved = sorted(step for outcome in outcomes for step in outcome)
        assert moved == ([(i, phase) for i in ids] if phase else []), moved

    # One opening mail and one reminder per resolution for each of the four members.
    subjects = sorted(mail["Subject"] for mail in smtp_server.messages)
    expected = [
        f"{kind}: Motion {index}"
        for index in range(3)
        for kind in ("Discussion opened", "The discussion ends tomorrow")
    ]
    assert subjects == sorted(expected * 4)
    with app.app_context():
        entries = db.session.scalar(
            select(func.count()).where(AuditEntry.action == "resolution.discussion")
        )
        assert entries == 3
