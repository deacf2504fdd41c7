"""The majority and quorum rules as properties, and their exact boundaries."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panel.governance.models import Majority
from panel.governance.rules import decide, majority_met, quorum_met, turnout_percent

COUNTS = st.integers(min_value=0, max_value=10_000)
RULES = st.sampled_from([majority.value for majority in Majority])
SHARE = {"two_thirds": Fraction(2, 3), "three_quarters": Fraction(3, 4)}


@settings(max_examples=300, deadline=None)
@given(RULES, COUNTS, COUNTS, st.integers(min_value=1, max_value=100))
def test_more_yes_never_turns_a_pass_into_a_failure(majority, yes, no, more):
    if majority_met(majority, yes, no):
        assert majority_met(majority, yes + more, no)


@settings(max_examples=300, deadline=None)
@given(RULES, COUNTS, COUNTS, st.integers(min_value=1, max_value=100))
def test_more_no_never_turns_a_failure_into_a_pass(majority, yes, no, more):
    if not majority_met(majority, yes, no):
        assert not majority_met(majority, yes, no + more)


@settings(max_examples=300, deadline=None)
@given(COUNTS, COUNTS)
def test_a_simple_majority_is_more_yes_than_no(yes, no):
    assert majority_met("simple", yes, no) == (yes > no)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SHARE)), COUNTS, COUNTS)
def test_a_qualified_majority_is_its_share_of_the_votes_cast(majority, yes, no):
    expected = yes > 0 and Fraction(yes, yes + no) >= SHARE[majority]
    assert majority_met(majority, yes, no) == expected


@settings(max_examples=300, deadline=None)
@given(RULES, COUNTS, COUNTS)
def test_a_qualified_majority_is_also_a_simple_one(majority, yes, no):
    if majority_met(majority, yes, no):
        assert majority_met("simple", yes, no)


@pytest.mark.parametrize(
    ("majority", "yes", "no", "met"),
    [
        ("simple", 1, 1, False),
        ("simple", 2, 1, True),
        ("simple", 0, 0, False),
        ("two_thirds", 2, 1, True),
        ("two_thirds", 199, 100, False),
        ("two_thirds", 200, 100, True),
        ("two_thirds", 0, 0, False),
        ("three_quarters", 3, 1, True),
        ("three_quarters", 299, 100, False),
        ("three_quarters", 300, 100, True),
        ("three_quarters", 2, 1, False),
        ("three_quarters", 1, 0, True),
    ],
)
def test_majority_boundaries_are_exact(majority, yes, no, met):
    assert majority_met(majority, yes, no) is met


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 100), st.integers(0, 5000), st.integers(0, 5000))
def test_the_quorum_is_the_share_of_the_eligible_that_voted(quorum, voters, eligible):
    voters = min(voters, eligible)
    met = quorum_met(quorum, voters, eligible)
    if eligible == 0:
        assert met == (quorum == 0)
    else:
        assert met == (Fraction(voters, eligible) >= Fraction(quorum, 100))
        if met and voters < eligible:
            assert quorum_met(quorum, voters + 1, eligible)


@pytest.mark.parametrize(
    ("quorum", "voters", "eligible", "met"),
    [
        (50, 5, 10, True),
        (50, 4, 10, False),
        (50, 50, 99, True),
        (34, 33, 99, False),
        (34, 34, 100, True),
        (100, 9, 10, False),
        (100, 10, 10, True),
        (0, 0, 10, True),
        (0, 0, 0, True),
        (1, 0, 0, False),
    ],
)
def test_quorum_boundaries_are_exact(quorum, voters, eligible, met):
    assert quorum_met(quorum, voters, eligible) is met


def test_nobody_voting_passes_nothing_and_turns_out_zero():
    result = decide("simple", 0, voters=0, eligible=0, counts=[(1, 0, 0, 0)])
    assert result.quorum_met and not result.majority_met and not result.passed
    assert result.turnout == 0.0
    assert turnout_percent(0, 10) == 0.0


@settings(max_examples=200, deadline=None)
@given(RULES, st.integers(0, 100), COUNTS, COUNTS, COUNTS, st.integers(0, 30_000))
def test_an_item_passes_when_quorum_and_majority_are_met(majority, quorum, yes, no, abstain, extra):
    voters = yes + no + abstain
    eligible = voters + extra
    result = decide(
        majority, quorum, voters=voters, eligible=eligible, counts=[(7, yes, no, abstain)]
    )
    assert result.passed == (
        quorum_met(quorum, voters, eligible) and majority_met(majority, yes, no)
    )
    assert result.motion.item_id == 7 and result.amendments == ()
    assert 0 <= result.turnout <= 100
