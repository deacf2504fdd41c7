"""What a job's outcome means for the resource it works on. Each feature registers an Outcome
for its resource type; the worker and the reaper call it, so no state is left dangling."""

from dataclasses import dataclass
from typing import Protocol


class Outcome(Protocol):
    def may_retry(self, job) -> None:
        """Raise Conflict when the job's work may not be done again (its resource moved on)."""

    def started(self, job) -> None: ...

    def finished(self, job) -> None:
        """Called once the job is successful, failed, canceled or lost; the caller commits."""


@dataclass
class _NoOutcome:
    def may_retry(self, job) -> None:
        return None

    def started(self, job) -> None:
        return None

    def finished(self, job) -> None:
        return None


OUTCOMES: dict[str, Outcome] = {}


def register_outcome(resource_type: str, outcome: Outcome) -> None:
    OUTCOMES[resource_type] = outcome


def outcome_for(job) -> Outcome:
    return OUTCOMES.get(job.resource_type or "", _NoOutcome())
