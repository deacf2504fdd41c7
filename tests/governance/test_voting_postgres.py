"""On PostgreSQL, with a database of the test's own committed for real (the requests must see
each other): ballots of one member at the same moment leave one participation and one ballot,
and a dump of the database links no voter to its secret ballot, not even by the order of the
rows."""

import glob
import shutil
import subprocess
import threading

import pytest
from resolutions_support import CUTOFF, end_vote, make_resolution
from scratch_databases import app_on_own_postgres
from secrecy_support import Voter
from sqlalchemy import select
from sqlalchemy.engine import make_url

from panel.coop.models import Member
from panel.coop.operations import create_member
from panel.core.audit import acting
from panel.core.errors import Conflict
from panel.core.secrets import decrypt
from panel.extensions import db
from panel.governance import operations
from panel.governance.models import BallotChoice, Participation, Resolution

ROUNDS = 5
VOTERS = 8


@pytest.fixture(autouse=True)
def transaction():
    """These tests commit to a database of their own."""
    yield


@pytest.fixture
def app(tmp_path):
    yield from app_on_own_postgres(tmp_path, "panel_ballots")


def member(index: int) -> Member:
    prefix = "v" + chr(97 + index // 26) + chr(97 + index % 26)
    with acting("cli"):
        return create_member(
            name=f"Voter {index}", email=f"{prefix}@example.org", prefix=prefix, on=CUTOFF
        )


def at_once(app, resolution_id: int, member_id: int, choices: list[str]) -> list:
    """Cast one ballot per choice for the member, all at the same moment; the outcomes."""
    barrier = threading.Barrier(len(choices))
    outcomes: list = []

    def cast(choice: str) -> None:
        try:
            with app.app_context(), acting("cli"):
                resolution = db.session.get(Resolution, resolution_id)
                voter = db.session.get(Member, member_id)
                motion = operations.motion(resolution).id
                barrier.wait(timeout=30)
                outcomes.append(operations.cast_ballot(resolution, voter, {motion: choice}))
                db.session.remove()
        except Conflict as exc:  # the only refusal allowed: "try again"
            outcomes.append(exc)
        except Exception as exc:  # reported below
            outcomes.append(("error", exc))

    threads = [threading.Thread(target=cast, args=(choice,)) for choice in choices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_ballots_of_one_member_at_the_same_moment_leave_one_ballot(app):
    with app.app_context():
        resolution_id = make_resolution().id
        voters = [member(index).id for index in range(ROUNDS)]

    for round_, member_id in enumerate(voters):
        # The first ballots race to insert the participation; then two changes race.
        for choices in (["yes", "no"], ["abstain", "no"]):
            outcomes = at_once(app, resolution_id, member_id, choices)
            assert not [o for o in outcomes if isinstance(o, tuple)], outcomes
            receipts = [o for o in outcomes if isinstance(o, str)]
            assert receipts, outcomes
            with app.app_context():
                own = db.session.scalar(
                    select(Participation.sealed_receipt).where(Participation.member_id == member_id)
                )
                sealed = db.session.scalars(select(Participation.sealed_receipt)).all()
                ballots = db.session.scalars(select(BallotChoice.receipt)).all()
            # One participation per member so far, each with exactly its current ballot.
            assert len(sealed) == round_ + 1
            assert sorted(ballots) == sorted(decrypt(token, "panel_ballots") for token in sealed)
            assert decrypt(own, "panel_ballots") in receipts


def pg_dump() -> str:
    """The pg_dump of the server's own version (Debian's wrapper picks it), else any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump")) or [shutil.which("pg_dump")]
    assert found[-1], "pg_dump is needed for this test"
    return found[-1]


def test_a_dump_of_the_database_links_no_voter_to_its_ballot(app):
    with app.app_context():
        resolution = make_resolution()
        motion = operations.motion(resolution).id
        voters = []
        for index in range(VOTERS):
            person = member(index)
            record = Voter(person.id, person.number, person.email)
            for choice in ("yes", ("no", "abstain")[index % 2]):
                record.receipts.add(operations.cast_ballot(resolution, person, {motion: choice}))
            voters.append(record)
        end_vote(resolution)
        url = make_url(db.engine.url)

    dumped = subprocess.run(
        [
            pg_dump(),
            "--data-only",
            "--column-inserts",
            "--host",
            url.host,
            "--port",
            str(url.port or 5432),
            "--username",
            url.username,
            url.database,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout

    rows = [line for line in dumped.splitlines() if line.startswith("INSERT INTO")]
    ballots = [line for line in rows if line.startswith("INSERT INTO public.ballot_choices ")]
    assert len(ballots) == VOTERS
    assert all(line.endswith(", NULL);") for line in ballots)
    # The rows lie in the order of their random receipts, not in the order cast.
    receipts = [line.split("VALUES ('")[1][:19] for line in ballots]
    assert receipts == sorted(receipts)
    for line in rows:
        for person in voters:
            assert not (person.named_in(line) and person.secret_in(line)), line
    assert all(any(person.secret_in(line) for line in ballots) for person in voters)
