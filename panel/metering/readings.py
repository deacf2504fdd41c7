"""Usage of one resource in one period, from the raw samples Prometheus kept.

Pure functions of numbers, so that the rules are tested on their own: a counter's usage is
its increase, with a reset (the counter went back) adding its new value whole; a gauge's usage
is its value integrated over the covered time, in value-hours. Time is covered where samples
are at most `gap_seconds` apart (Prometheus' own staleness rule); the rest of a period is a gap.
"""

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from panel.metering.models import Quality

Sample = tuple[float, Decimal]
ZERO = Decimal(0)
SECONDS_PER_HOUR = Decimal(3600)


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
    samples: list[Sample],
    start: float,
    end: float,
    gap_seconds: float,
) -> Usage:
    """baseline: the reading the ledger ended the resource's previous row with; without one,
    the last sample before the period, else 0 (a new counter starts at 0)."""
    if baseline is None:
        baseline = before[1] if before is not None else ZERO
    previous, quantity, reset = baseline, ZERO, False
    for _, value in samples:
        if value >= previous:
            quantity += value - previous
        else:
            quantity += value
            reset = True
        previous = value
    _, covered = _integrate(_points(before, samples, start, gap_seconds), end, gap_seconds)
    if reset:
        quality = Quality.RESET
    elif covered < end - start:
        quality = Quality.GAP
    else:
        quality = Quality.COMPLETE
    return Usage(baseline, previous, quantity, quality, len(samples), int(covered))


def gauge_usage(
    before: Sample | None, samples: list[Sample], start: float, end: float, gap_seconds: float
) -> Usage:
    """Each reading holds until the next one, as long as they are close enough."""
    points = _points(before, samples, start, gap_seconds)
    value_seconds, covered = _integrate(points, end, gap_seconds)
    raw_start = points[0][1] if points else ZERO
    raw_end = points[-1][1] if points else ZERO
    quality = Quality.COMPLETE if covered >= end - start else Quality.GAP
    return Usage(
        raw_start,
        raw_end,
        value_seconds / SECONDS_PER_HOUR,
        quality,
        len(samples),
        int(covered),
    )


def _points(
    before: Sample | None, samples: list[Sample], start: float, gap_seconds: float
) -> list[Sample]:
    """The samples, led by the one before the period moved to its start when it is recent."""
    if before is not None and samples and samples[0][0] - before[0] <= gap_seconds:
        return [(start, before[1]), *samples]
    if before is not None and not samples and start - before[0] <= gap_seconds:
        return [(start, before[1])]
    return list(samples)


def _integrate(points: list[Sample], end: float, gap_seconds: float) -> tuple[Decimal, float]:
    """The value-seconds and the seconds covered by the points up to the period's end."""
    value_seconds, covered = ZERO, 0.0
    for (time, value), (next_time, _) in pairwise([*points, (end, ZERO)]):
        if next_time - time <= gap_seconds:
            value_seconds += value * _seconds(next_time - time)
            covered += next_time - time
    return value_seconds, covered


def _seconds(value: float) -> Decimal:
    # Prometheus timestamps are milliseconds: three decimals keep them exact.
    return Decimal(str(round(value, 3)))
