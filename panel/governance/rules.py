"""The arithmetic of a vote: when a majority and a quorum are met, and the result of a count.

Pure functions on whole numbers, so that boundaries such as exactly two thirds are exact."""

from dataclasses import dataclass

from panel.governance.models import Majority


def majority_met(majority: str, yes: int, no: int) -> bool:
    """Whether the yes votes carry the item; abstentions do not count."""
    if majority == Majority.SIMPLE:
        return yes > no
    if majority == Majority.TWO_THIRDS:
        return yes > 0 and 3 * yes >= 2 * (yes + no)
    if majority == Majority.THREE_QUARTERS:
        return yes > 0 and 4 * yes >= 3 * (yes + no)
    raise ValueError(f"unknown majority rule {majority!r}")


def quorum_met(quorum_percent: int, voters: int, eligible: int) -> bool:
    """Whether enough of the eligible members took part; no eligible members meet only a
    quorum of 0."""
    if eligible <= 0:
        return quorum_percent == 0
    return 100 * voters >= quorum_percent * eligible


def turnout_percent(voters: int, eligible: int) -> float:
    """The voters as a percentage of the eligible members, rounded to one decimal."""
    if eligible <= 0:
        return 0.0
    return round(100 * voters / eligible, 1)


@dataclass(frozen=True)
class ItemResult:
    """The count of one item on the ballot (the motion or an amendment)."""

    item_id: int
    yes: int
    no: int
    abstain: int
    majority_met: bool
    passed: bool


@dataclass(frozen=True)
class Result:
    """A resolution's count: one ItemResult per item on the ballot, the motion first."""

    items: tuple[ItemResult, ...]
    voters: int
    eligible: int
    turnout: float
    quorum_met: bool

    @property
    def motion(self) -> ItemResult:
        return self.items[0]

    @property
    def majority_met(self) -> bool:
        return self.motion.majority_met

    @property
    def passed(self) -> bool:
        return self.motion.passed

    @property
    def amendments(self) -> tuple[ItemResult, ...]:
        return self.items[1:]


def decide(
    majority: str,
    quorum_percent: int,
    *,
    voters: int,
    eligible: int,
    counts: list[tuple[int, int, int, int]],
) -> Result:
    """The result from the counts (item id, yes, no, abstain), the motion first: an item
    passes when the quorum and its majority are met."""
    quorum = quorum_met(quorum_percent, voters, eligible)
    items = []
    for item_id, yes, no, abstain in counts:
        carried = majority_met(majority, yes, no)
        items.append(ItemResult(item_id, yes, no, abstain, carried, quorum and carried))
    return Result(tuple(items), voters, eligible, turnout_percent(voters, eligible), quorum)
