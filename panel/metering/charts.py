"""Bar charts drawn by the panel itself (inline SVG): no script, no asset from elsewhere."""

from dataclasses import dataclass
from decimal import Decimal

from panel.metering.usage import Bucket

WIDTH, HEIGHT = 720, 180


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    bucket: Bucket


def bars(buckets: list[Bucket]) -> list[Bar]:
    """One bar per bucket, scaled so the largest fills the chart's height."""
    if not buckets:
        return []
    top = max((bucket.quantity for bucket in buckets), default=Decimal(0)) or Decimal(1)
    slot = WIDTH / len(buckets)
    result = []
    for index, bucket in enumerate(buckets):
        height = float(bucket.quantity / top) * HEIGHT
        result.append(Bar(index * slot + 1, HEIGHT - height, max(slot - 2, 1), height, bucket))
    return result
