"""The rules of usage per period, on numbers alone."""

import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from panel.metering.models import Quality
from panel.metering.readings import counter_usage, gauge_usage

GAP = 30.0
increments = st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=40)


def timeline(values, start=0.0, step=10.0):
    return [(start + step * (i + 1), Decimal(v)) for i, v in enumerate(values)]


@given(increments, st.lists(st.integers(min_value=1, max_value=39), max_size=3))
def test_split_anywhere_the_periods_add_up_to_the_whole_increase(steps, cuts):
    """However the samples are cut into periods, chaining each period's end reading into the
    next gives the counter's whole increase: nothing lost, nothing counted twice."""
    values, total = [], 0
    for step in steps:
        total += step
        values.append(total)
    samples = timeline(values)
    bounds = sorted({0, *[c for c in cuts if c < len(samples)], len(samples)})
    baseline, counted = Decimal(0), Decimal(0)
    for a, b in itertools.pairwise(bounds):
        start = 0.0 if a == 0 else samples[a - 1][0]
        usage = counter_usage(baseline, None, samples[a:b], start, samples[b - 1][0], GAP)
        counted += usage.quantity
        baseline = usage.raw_end
    assert counted == Decimal(total)


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40))
def test_a_counter_never_counts_less_than_zero_or_more_than_it_could(values):
    before = (0.0, Decimal(0))
    usage = counter_usage(Decimal(0), before, timeline(values), 0.0, 10.0 * len(values), GAP)
    assert usage.quantity >= 0
    assert usage.quantity <= sum(Decimal(v) for v in values)
    if values == sorted(values):
        assert usage.quantity == Decimal(values[-1])
        assert usage.quality == Quality.COMPLETE


def test_a_reset_adds_the_new_reading_whole():
    samples = timeline([100, 150, 20, 50])
    usage = counter_usage(Decimal(80), None, samples, 0.0, 40.0, GAP)
    assert usage.quantity == Decimal(20 + 50 + 20 + 30)
    assert usage.quality == Quality.RESET
    assert (usage.raw_start, usage.raw_end) == (Decimal(80), Decimal(50))


def test_without_a_ledger_row_the_sample_before_the_period_is_the_baseline():
    usage = counter_usage(None, (-5.0, Decimal(70)), timeline([100]), 0.0, 10.0, GAP)
    assert usage.quantity == Decimal(30)
    new = counter_usage(None, None, timeline([100]), 0.0, 10.0, GAP)
    assert new.quantity == Decimal(100)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=100))
def test_a_constant_gauge_is_value_times_hours(value, samples_count):
    end = 10.0 * samples_count
    usage = gauge_usage((0.0, Decimal(value)), timeline([value] * samples_count), 0.0, end, GAP)
    assert usage.quantity == Decimal(value) * Decimal(str(end)) / 3600
    assert usage.quality == Quality.COMPLETE
    assert usage.covered_seconds == int(end)


def test_a_gauge_counts_only_covered_time_and_reports_the_gap():
    # Samples at 10 s steps with a hole from 20 to 90: the 70 s in between are not counted.
    samples = [(10.0, Decimal(3600)), (20.0, Decimal(3600)), (90.0, Decimal(3600))]
    usage = gauge_usage((0.0, Decimal(3600)), samples, 0.0, 100.0, GAP)
    assert usage.quality == Quality.GAP
    assert usage.covered_seconds == 30
    assert usage.quantity == Decimal(30)


def test_a_gauge_without_samples_is_a_gap_of_nothing():
    usage = gauge_usage(None, [], 0.0, 60.0, GAP)
    assert (usage.quantity, usage.quality, usage.covered_seconds) == (0, Quality.GAP, 0)
