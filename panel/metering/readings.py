"""Usage of one resource in one period, from the raw samples Prometheus kept.

Pure functions of numbers, so that the rules are tested on their own: a counter's usage is
its increase, with a reset (the counter went back) adding its new value whole; a gauge's usage
is its value integrated over the covered time, in value-hours. Time is covered where samples
are at most `gap_seconds` apart (Prometheus' own staleness rule); the rest of a period is a gap.

A sample's value is a Decimal, or the float Prometheus' text was read into (the ledger's hot
path: a period holds hundreds of samples per series). Floats are only compared and grouped;
the few values that enter a sum become Decimals first, so both give the same usage.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache, reduce
from operator import add, lt, sub

from panel.metering.models import Quality

Sample = tuple[float, Decimal | float]
ZERO = Decimal(0)
SECONDS_PER_HOUR = Decimal(3600)


@dataclass(frozen=True)
class Readings:
    """Samples as their times and their values: two sequences of one length (as the ledger
    reads Prometheus' answers into arrays)."""

    times: Sequence[float]
    values: Sequence[Decimal | float]

    @classmethod
    def of(cls, samples: "list[Sample] | Readings") -> "Readings":
        if isinstance(samples, Readings):
            return samples
        if not samples:
            return cls((), ())
        times, values = zip(*samples, strict=True)
        return cls(times, values)

    def __len__(self) -> int:
        return len(self.times)


@dataclass(frozen=True)
class Usage:
    raw_start: Decimal
    raw_end: Decimal
    quantity: Decimal
    quality: Quality
    samples: int
    covered_seconds: int


def counter_usage(
    baseline: Decimal | None,
    before: Sample | None,
    samples: list[Sample] | Readings,
    start: float,
    end: float,
    gap_seconds: float,
) -> Usage:
    """baseline: the reading the ledger ended the resource's previous row with; without one,
    the last sample before the period, else 0 (a new counter starts at 0)."""
    if baseline is None:
        baseline = exact(before[1]) if before is not None else ZERO
    # Between resets the increases add up to a run's last reading less its base: the
    # baseline for the first run, nothing for a run a reset began.
    readings = Readings.of(samples)
    values = readings.values
    quantity, reset, raw_end = ZERO, False, baseline
    if values:
        if exact(values[0]) < baseline:
            reset = True
        else:
            quantity -= baseline
        following = values[1:]
        if any(map(lt, following, values)):
            reset = True
            for previous, value in zip(values, following, strict=False):
                if value < previous:
                    quantity += exact(previous)
        raw_end = exact(values[-1])
        quantity += raw_end
    points = _points(before, readings, start, gap_seconds)
    covered = _covered(_durations(points.times, end), gap_seconds)
    if reset:
        quality = Quality.RESET
    elif covered < end - start:
        quality = Quality.GAP
    else:
        quality = Quality.COMPLETE
    return Usage(baseline, raw_end, quantity, quality, len(readings), int(covered))


def gauge_usage(
    before: Sample | None,
    samples: list[Sample] | Readings,
    start: float,
    end: float,
    gap_seconds: float,
) -> Usage:
    """Each reading holds until the next one, as long as they are close enough."""
    readings = Readings.of(samples)
    points = _points(before, readings, start, gap_seconds)
    times, values = points.times, points.values
    durations = _durations(times, end)
    held = _held(values, durations, gap_seconds)
    value_seconds = sum(
        (exact(value) * _seconds(seconds) * count for (value, seconds), count in held.items()),
        ZERO,
    )
    covered = _covered(durations, gap_seconds)
    raw_start = exact(values[0]) if values else ZERO
    raw_end = exact(values[-1]) if values else ZERO
    quality = Quality.COMPLETE if covered >= end - start else Quality.GAP
    return Usage(
        raw_start,
        raw_end,
        value_seconds / SECONDS_PER_HOUR,
        quality,
        len(readings),
        int(covered),
    )


def exact(value: Decimal | float) -> Decimal:
    """A float's repr is the shortest text that reads back as it, which is the text
    Prometheus wrote it as: its Decimal is the one that text gives."""
    return value if isinstance(value, Decimal) else Decimal(repr(value))


def _points(
    before: Sample | None, readings: Readings, start: float, gap_seconds: float
) -> Readings:
    """The readings, led by the one before the period moved to its start when it is recent."""
    times, values = readings.times, readings.values
    if before is not None and times and times[0] - before[0] <= gap_seconds:
        return Readings((start, *times), (before[1], *values))
    if before is not None and not times and start - before[0] <= gap_seconds:
        return Readings((start,), (before[1],))
    return readings


def _durations(times: Sequence[float], end: float) -> list[float]:
    """The seconds from each time to the next one (the last: to the period's end)."""
    return list(map(sub, [*times[1:], end], times)) if times else []


def _within(durations: list[float], gap_seconds: float) -> bool:
    return not durations or max(durations) <= gap_seconds


def _covered(durations: list[float], gap_seconds: float) -> float:
    """The seconds covered: the durations no longer than a gap, added one by one in order
    (as floats do, whatever sum() does in this Python)."""
    if not _within(durations, gap_seconds):
        durations = [seconds for seconds in durations if seconds <= gap_seconds]
    return reduce(add, durations, 0.0)


def _held(values: Sequence, durations: list[float], gap_seconds: float) -> Counter:
    """How often each value held for how many seconds: few pairs, so few Decimal products."""
    pairs = zip(values, durations, strict=True)
    if _within(durations, gap_seconds):
        return Counter(pairs)
    return Counter(pair for pair in pairs if pair[1] <= gap_seconds)


@lru_cache(maxsize=1024)
def _seconds(value: float) -> Decimal:
    # Prometheus timestamps are milliseconds: three decimals keep them exact.
    return Decimal(str(round(value, 3)))
