"""What a job's outcome means for the resource it works on. Each feature registers a Target
for its resource type; the worker and the reaper call it, so no state is left dangling."""

from dataclasses import dataclass
from typing import Protocol


class Target(Protocol):
    def may_retry(self, job) -> None:
        """Raise Conflict when the job's work may not be done again (its resource moved on)."""

    def started(self, job) -> None: ...

    def finished(self, job) -> None:
        """Called once the job is successful, failed, canceled or lost; the caller commits."""


@dataclass
class _NoTarget:
    def may_retry(self, job) -> None:
        return None

    def started(self, job) -> None:
        return None

    def finished(self, job) -> None:
        return None


TARGETS: dict[str, Target] = {}


def register(target_type: str, target: Target) -> None:
    TARGETS[target_type] = target


def target_for(job) -> Target:
    return TARGETS.get(job.target_type or "", _NoTarget())
