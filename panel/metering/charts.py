"""Bar charts drawn by the panel itself (inline SVG): no script, no asset from elsewhere. The
plot sits right of a value axis with rounded ticks and above a time axis; the template labels
the ticks in the page's locale and draws the legend and the empty state. Usage buckets are
drawn, and anything else measured over evenly spaced times (billing's months)."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

WIDTH, HEIGHT = 720, 220
# The plot's edges inside the picture: room for the value labels left, the times below.
LEFT, RIGHT, TOP, BOTTOM = 96, 712, 12, 188
TICKS = 4
TIME_LABELS = 6


class Measured(Protocol):
    """What a bar stands for: a usage bucket (panel.metering.usage.Bucket) or the like."""

    @property
    def start(self) -> date: ...

    @property
    def quantity(self) -> Decimal: ...

    @property
    def incomplete(self) -> bool: ...


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    bucket: Measured


@dataclass(frozen=True)
class Tick:
    """A labelled place on an axis: POSITION in the picture, VALUE what it stands for."""

    position: float
    value: object


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    values: list[Tick]
    times: list[Tick]
    # Whether the buckets are hours (their times then labelled by the clock, else by the day).
    hourly: bool
    empty: bool
    incomplete: bool


def _top(largest: Decimal) -> Decimal:
    """The axis' top: the smallest 1, 2 or 5 × 10ⁿ step times TICKS that holds LARGEST."""
    rough = float(largest) / TICKS
    power = 10 ** math.floor(math.log10(rough))
    step = next(factor * power for factor in (1, 2, 5, 10) if factor * power >= rough)
    return Decimal(str(step)) * TICKS


def chart(buckets: list[Measured]) -> Chart:
    """The chart of BUCKETS (oldest first, evenly spaced): bars scaled to the value axis."""
    largest = max((bucket.quantity for bucket in buckets), default=Decimal(0))
    empty = largest <= 0
    top = _top(largest) if not empty else Decimal(1)
    plot_width, plot_height = RIGHT - LEFT, BOTTOM - TOP
    slot = plot_width / max(len(buckets), 1)
    bars = []
    for index, bucket in enumerate(buckets):
        height = float(bucket.quantity / top) * plot_height
        x = LEFT + index * slot + 1
        bars.append(
            Bar(
                round(x, 1),
                round(BOTTOM - height, 1),
                max(round(slot - 2, 1), 1),
                round(height, 1),
                bucket,
            )
        )
    values = [
        Tick(round(BOTTOM - plot_height * step / TICKS, 1), top * step / TICKS)
        for step in range(TICKS + 1)
    ]
    every = max(math.ceil(len(buckets) / TIME_LABELS), 1)
    times = [
        Tick(round(LEFT + index * slot + slot / 2, 1), bucket.start)
        for index, bucket in enumerate(buckets)
        if index % every == 0
    ]
    hourly = len(buckets) > 1 and buckets[1].start - buckets[0].start < timedelta(days=1)
    incomplete = any(bucket.incomplete for bucket in buckets)
    return Chart(bars, values, times, hourly, empty, incomplete)
