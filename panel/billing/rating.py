"""Sharing a cost pool out over its key: unit price = pool / total usage, each member's share =
usage × unit price, rounded to the cent by the largest-remainder method so that the shares add
up to the pool exactly. Exact integer arithmetic until the rounding, so no float or
intermediate rounding can move a cent."""

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import TypeVar

from panel.core.money import CENT, round_cents

EXACT = Decimal("0.000000000001")
K = TypeVar("K", bound=Hashable)


class NoUsage(ValueError):
    """The pool's key had no usage in the period: nothing to share it over."""


@dataclass(frozen=True)
class Share:
    exact: Decimal
    amount: Decimal

    @property
    def rounding(self) -> Decimal:
        return self.amount - self.exact


def allocate(amount: Decimal, usage: Mapping[K, Decimal]) -> dict[K, Share]:
    """Each user's share of AMOUNT (whole cents, not negative) in proportion to its usage.

    Every share is its exact value rounded down to the cent; the cents left over go one each to
    the largest remainders (ties by the order of USAGE). A user without usage gets nothing."""
    if amount < 0 or amount != amount.quantize(CENT):
        raise ValueError(f"not an amount in cents: {amount}")
    ratios = {key: Decimal(value).as_integer_ratio() for key, value in usage.items()}
    if any(n < 0 for n, _ in ratios.values()):
        raise ValueError("usage cannot be negative")
    common = math.lcm(*(d for _, d in ratios.values()))
    weights = {key: n * (common // d) for key, (n, d) in ratios.items()}
    total = sum(weights.values())
    if total == 0:
        raise NoUsage("no usage to share the amount over")
    cents = int(amount / CENT)
    split = {key: divmod(weight * cents, total) for key, weight in weights.items()}
    floors = {key: floor for key, (floor, _) in split.items()}
    left = cents - sum(floors.values())
    for key in sorted(split, key=lambda key: split[key][1], reverse=True)[:left]:
        floors[key] += 1
    with localcontext() as context:
        context.prec = 60
        exact = {
            key: (Decimal(w * cents) / (total * 100)).quantize(EXACT) for key, w in weights.items()
        }
    return {key: Share(exact[key], Decimal(floors[key]) * CENT) for key in usage}


def unit_price(amount: Decimal, total: Decimal) -> Decimal:
    return _decimal(Fraction(amount) / Fraction(total)) if total else Decimal(0)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """A percentage of an amount, to the cent (half up), as VAT and the reserve are."""
    return round_cents(amount * percent / 100)


def _decimal(value: Fraction) -> Decimal:
    # Enough digits for any price the ledger's units can give, to twelve places.
    with localcontext() as context:
        context.prec = 60
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(EXACT)
