"""Casting, changing and counting ballots; what a ballot outside the rules gets."""

from datetime import UTC, date, datetime, timedelta

import pytest
from resolutions_support import CUTOFF, add_amendment, end_vote, make_resolution
from sqlalchemy import select

from panel.accounts.operations import create_user
from panel.core.audit import acting
from panel.core.errors import Conflict, Forbidden, ValidationFailed
from panel.core.roles import Role
from panel.extensions import db
from panel.governance import operations
from panel.governance.models import BallotChoice, ItemState, Participation, Phase


def motion_id(resolution) -> int:
    return operations.motion(resolution).id


def test_a_ballot_is_counted_and_its_receipt_published(voter, count_rows):
    resolution = make_resolution()
    members = [voter() for _ in range(3)]
    receipts = [
        operations.cast_ballot(resolution, member, {motion_id(resolution): choice})
        for member, choice in zip(members, ("yes", "yes", "no"), strict=True)
    ]
    end_vote(resolution)

    result = operations.result_of(resolution)
    assert (result.motion.yes, result.motion.no, result.motion.abstain) == (2, 1, 0)
    assert result.passed and result.voters == 3 and result.eligible == 3
    published = operations.published_receipts(resolution)
    assert [entry["receipt"] for entry in published] == sorted(receipts)
    assert {entry["receipt"]: entry["choices"] for entry in published}[receipts[2]] == {
        motion_id(resolution): "no"
    }
    assert count_rows(Participation) == 3 and count_rows(BallotChoice) == 3


def test_a_receipt_is_80_random_bits_in_groups_and_found_as_people_type_it(voter):
    resolution = make_resolution()
    receipt = operations.cast_ballot(resolution, voter(), {motion_id(resolution): "abstain"})
    end_vote(resolution)

    groups = receipt.split("-")
    assert [len(group) for group in groups] == [4, 4, 4, 4]
    assert set("".join(groups)) <= set(operations.RECEIPT_ALPHABET)
    typed = receipt.lower().replace("-", " ").replace("0", "o")
    assert operations.find_receipt(resolution, typed) == {motion_id(resolution): "abstain"}
    assert operations.find_receipt(resolution, "0000-0000-0000-0000") is None
    assert operations.find_receipt(resolution, "not a receipt") is None


def test_a_changed_vote_replaces_the_old_one_under_a_new_receipt(voter, count_rows):
    resolution = make_resolution()
    member = voter()
    first = operations.cast_ballot(resolution, member, {motion_id(resolution): "yes"})
    second = operations.cast_ballot(resolution, member, {motion_id(resolution): "no"})

    assert first != second
    assert operations.my_receipt(resolution, member) == second
    assert count_rows(Participation) == 1
    assert count_rows(BallotChoice, BallotChoice.receipt == first) == 0
    end_vote(resolution)
    result = operations.result_of(resolution)
    assert (result.motion.yes, result.motion.no, result.voters) == (0, 1, 1)
    assert [entry["receipt"] for entry in operations.published_receipts(resolution)] == [second]


def test_amendments_on_the_ballot_are_voted_on_and_counted_each(voter):
    resolution = make_resolution()
    amendment = add_amendment(resolution)
    add_amendment(resolution, state=ItemState.NOT_ADMITTED, title="Not admitted")
    first, second = voter(), voter()
    operations.cast_ballot(resolution, first, {motion_id(resolution): "yes", amendment.id: "no"})
    # Amendments are optional; the motion is not.
    operations.cast_ballot(resolution, second, {motion_id(resolution): "yes"})

    assert [item.id for item in operations.ballot_items(resolution)] == [
        motion_id(resolution),
        amendment.id,
    ]
    end_vote(resolution)
    result = operations.result_of(resolution)
    assert [(item.item_id, item.yes, item.no, item.passed) for item in result.items] == [
        (motion_id(resolution), 2, 0, True),
        (amendment.id, 0, 1, False),
    ]
    db.session.refresh(amendment)
    assert (amendment.yes, amendment.no, amendment.abstain, amendment.passed) == (0, 1, 0, False)


def test_a_legal_person_votes_once_through_any_of_its_logins(voter, count_rows):
    resolution = make_resolution()
    company = voter(kind="legal")
    with acting("cli"):
        second_login = create_user(
            "board@company.example", Role.MEMBER, password=None, member_id=company.id
        )
    assert second_login.member == company
    operations.cast_ballot(resolution, company.users[0].member, {motion_id(resolution): "yes"})
    operations.cast_ballot(resolution, second_login.member, {motion_id(resolution): "no"})

    assert count_rows(Participation) == 1
    assert count_rows(BallotChoice) == 1


def test_the_quorum_decides_with_the_members_eligible_when_the_vote_opened(voter):
    resolution = make_resolution(quorum_percent=50)
    members = [voter() for _ in range(4)]
    resolution.eligible_count = 5
    db.session.commit()
    operations.cast_ballot(resolution, members[0], {motion_id(resolution): "yes"})
    operations.cast_ballot(resolution, members[1], {motion_id(resolution): "yes"})
    end_vote(resolution)

    result = operations.result_of(resolution)
    assert (result.voters, result.eligible, result.turnout) == (2, 5, 40.0)
    assert result.majority_met and not result.quorum_met and not result.passed
    assert operations.motion(resolution).passed is False


def test_the_result_and_the_receipts_wait_for_the_close(voter):
    resolution = make_resolution()
    operations.cast_ballot(resolution, voter(), {motion_id(resolution): "yes"})

    for reveal in (
        operations.result_of,
        operations.published_receipts,
        operations.open_votes,
    ):
        with pytest.raises(Conflict, match="when the vote has closed"):
            reveal(resolution)
    with pytest.raises(Conflict, match="not ended"):
        operations.close_resolution(resolution, datetime.now(UTC))
    end_vote(resolution)
    with pytest.raises(Conflict, match="in its vote"):
        operations.close_resolution(resolution, datetime.now(UTC))
    assert resolution.phase == Phase.CLOSED and resolution.closed_at is not None


def test_an_open_resolution_names_who_chose_what(voter):
    resolution = make_resolution(secret=False)
    alice, bob = voter(name="Alice"), voter(name="Bob")
    operations.cast_ballot(resolution, alice, {motion_id(resolution): "yes"})
    operations.cast_ballot(resolution, bob, {motion_id(resolution): "no"})

    assert operations.my_open_choices(resolution, alice) == {motion_id(resolution): "yes"}
    end_vote(resolution)
    assert [(vote["name"], vote["choices"]) for vote in operations.open_votes(resolution)] == [
        ("Alice", {motion_id(resolution): "yes"}),
        ("Bob", {motion_id(resolution): "no"}),
    ]


def test_a_secret_resolution_shows_nobody_their_choices(voter):
    resolution = make_resolution()
    member = voter()
    operations.cast_ballot(resolution, member, {motion_id(resolution): "yes"})

    assert operations.my_open_choices(resolution, member) == {}
    end_vote(resolution)
    assert operations.open_votes(resolution) == []


# Bad input: a clear error, and nothing changes.


def _rows(count_rows) -> tuple[int, int]:
    return count_rows(Participation), count_rows(BallotChoice)


@pytest.mark.parametrize("phase", [Phase.ANNOUNCED, Phase.DISCUSSION, Phase.CLOSED])
def test_no_vote_outside_the_voting_phase(voter, count_rows, phase):
    resolution = make_resolution(phase=phase)
    before = _rows(count_rows)

    with pytest.raises(Conflict, match="The vote is not open"):
        operations.cast_ballot(resolution, voter(), {motion_id(resolution): "yes"})
    assert _rows(count_rows) == before


def test_no_vote_after_the_voting_time_even_before_the_task_closes_it(voter, count_rows):
    resolution = make_resolution()
    resolution.voting_until = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()

    with pytest.raises(Conflict, match="The vote is not open"):
        operations.cast_ballot(resolution, voter(), {motion_id(resolution): "yes"})
    assert _rows(count_rows) == (0, 0)


def test_a_member_admitted_after_the_cutoff_does_not_vote(voter, count_rows):
    resolution = make_resolution()
    late = voter(on=CUTOFF + timedelta(days=1))

    with pytest.raises(Forbidden) as refused:
        operations.cast_ballot(resolution, late, {motion_id(resolution): "yes"})
    assert refused.value.message == f"Only members on the register on {CUTOFF} vote."
    assert _rows(count_rows) == (0, 0)


def test_eligibility_is_the_register_on_the_cutoff_day(voter):
    resolution = make_resolution()
    on_the_day = voter(on=CUTOFF)
    left_before = voter(on=date(2020, 1, 1))
    left_before.ended_on = CUTOFF
    left_after = voter(on=date(2020, 1, 1))
    left_after.ended_on = CUTOFF + timedelta(days=1)
    applicant = voter(admit=False)
    db.session.commit()

    eligible = set(db.session.scalars(operations.eligible_members(resolution)))
    assert eligible == {on_the_day, left_after}
    assert operations.count_eligible(resolution) == 2
    assert [operations.is_eligible(resolution, m) for m in (left_before, applicant)] == [
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("choices", "field", "message"),
    [
        ({"motion": "maybe"}, "choice", "Choose yes, no or abstain"),
        ({"motion": "YES"}, "choice", "Choose yes, no or abstain"),
        ({"motion": None}, "choice", "Choose yes, no or abstain"),
        ({}, "choice", "on the motion"),
        ({"amendment": "yes"}, "choice", "on the motion"),
        ({"motion": "yes", 999999: "yes"}, "amendments", "999999 is not an amendment"),
        ({"motion": "yes", "x": "yes"}, "amendments", "x is not an amendment"),
        ({"motion": "yes", "proposed": "yes"}, "amendments", "is not an amendment on this"),
        ({"motion": "yes", "amendment": "no way"}, "amendments", "Choose yes, no or abstain"),
    ],
)
def test_a_ballot_with_unknown_items_or_choices_is_refused(
    voter, count_rows, choices, field, message
):
    resolution = make_resolution()
    items = {
        "motion": motion_id(resolution),
        "amendment": add_amendment(resolution).id,
        "proposed": add_amendment(resolution, state=ItemState.PROPOSED).id,
    }
    ballot = {items.get(key, key): choice for key, choice in choices.items()}

    with pytest.raises(ValidationFailed, match=message) as refused:
        operations.cast_ballot(resolution, voter(), ballot)
    assert list(refused.value.fields) == [field]
    assert _rows(count_rows) == (0, 0)


def test_a_refused_change_keeps_the_vote_cast(voter, count_rows):
    resolution = make_resolution()
    member = voter()
    receipt = operations.cast_ballot(resolution, member, {motion_id(resolution): "yes"})

    with pytest.raises(ValidationFailed):
        operations.cast_ballot(resolution, member, {motion_id(resolution): "nein"})
    assert operations.my_receipt(resolution, member) == receipt
    choices = db.session.execute(select(BallotChoice.receipt, BallotChoice.choice)).all()
    assert choices == [(receipt, "yes")]
