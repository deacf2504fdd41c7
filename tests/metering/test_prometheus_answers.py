"""Reading Prometheus' matrix answers series by series, and the usage rules on the floats they
are read into: the same rows as from Decimals."""

import itertools
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panel.metering.prometheus import MATRIX_HEAD, Matrix, PrometheusUnavailable
from panel.metering.readings import counter_usage, gauge_usage

GAP = 30.0


def answer(*series: dict, compact: bool = True) -> str:
    body = {"status": "success", "data": {"resultType": "matrix", "result": list(series)}}
    return json.dumps(body, separators=(",", ":") if compact else None)


SERIES = (
    # Label values may hold what ends a series' samples in the text.
    {"metric": {"webspace": "abc00", "odd": ']]},{"metric":'}, "values": [[1, "5"], [2, "7.25"]]},
    # Stale markers and infinities are no readings.
    {"metric": {"webspace": "abc01"}, "values": [[1, "NaN"], [2, "+Inf"], [3, "-Inf"], [4, "1"]]},
    {"metric": {"webspace": "abc02"}, "values": []},
    {"metric": {"webspace": "abc03"}, "values": [[1.5, "2"]], "histograms": [[2, {"count": "1"}]]},
    {"metric": {"webspace": "abc04"}, "values": [[1796529300.123, "18446744073709551615"]]},
)
EXPECTED = [
    ({"webspace": "abc00", "odd": ']]},{"metric":'}, [(1.0, 5.0), (2.0, 7.25)]),
    ({"webspace": "abc01"}, [(4.0, 1.0)]),
    ({"webspace": "abc02"}, []),
    ({"webspace": "abc03"}, [(1.5, 2.0)]),
    ({"webspace": "abc04"}, [(1796529300.123, 18446744073709551615.0)]),
]


@pytest.mark.parametrize("compact", [True, False])
def test_each_series_is_read_with_its_labels_and_finite_samples(compact):
    text = answer(*SERIES, compact=compact)
    assert text.startswith(MATRIX_HEAD) == compact
    assert [(series.labels, series.samples) for series in Matrix(text)] == EXPECTED


def test_an_empty_answer_has_no_series():
    assert list(Matrix(answer())) == []


@pytest.mark.parametrize(
    "text",
    [
        answer({"metric": {}, "values": [[1, "many"]]}),
        answer({"metric": {}, "values": [[1, "2"]]})[:-10],
        MATRIX_HEAD + "garbage]}}",
        json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}),
    ],
)
def test_an_unreadable_answer_is_prometheus_failing(text):
    with pytest.raises(PrometheusUnavailable):
        list(Matrix(text))


readings = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=2**53),
        st.floats(min_value=0, max_value=1e15, allow_nan=False).map(lambda f: round(f, 6)),
    ),
    min_size=0,
    max_size=30,
)
steps = st.lists(st.sampled_from([10.0, 15.0, 14.999, 45.0]), min_size=30, max_size=30)


def plain_points(before, samples, gap):
    """The rules as first written (the period starts at 0): the sample before the period
    leads when it is recent."""
    if before is not None and samples and samples[0][0] - before[0] <= gap:
        return [(0.0, before[1]), *samples]
    if before is not None and not samples and 0.0 - before[0] <= gap:
        return [(0.0, before[1])]
    return list(samples)


def plain_covered_and_value_seconds(points, end, gap):
    covered, value_seconds = 0.0, Decimal(0)
    for (time, value), (next_time, _) in itertools.pairwise([*points, (end, 0)]):
        if next_time - time <= gap:
            covered += next_time - time
            value_seconds += value * Decimal(str(round(next_time - time, 3)))
    return covered, value_seconds


def plain_counter(baseline, samples):
    previous, quantity = baseline, Decimal(0)
    for _, value in samples:
        quantity += value - previous if value >= previous else value
        previous = value
    return quantity, previous


@given(readings, steps, st.one_of(st.none(), st.integers(min_value=0, max_value=10**12)))
def test_floats_read_from_prometheus_give_the_usage_their_text_gives(values, gaps, baseline):
    """Prometheus writes each float as the shortest text that reads back as it, and a float's
    repr is that text: usage from the floats is what the plain rules give on Decimals of the
    text, reading by reading."""
    times = [sum(gaps[: i + 1]) for i in range(len(values))]
    floats = [(time, float(value)) for time, value in zip(times, values, strict=True)]
    decimals = [(time, Decimal(repr(value))) for time, value in floats]
    end = (times[-1] if times else 0.0) + 10.0
    before, exact_before = (-5.0, 3.0), (-5.0, Decimal(3))
    start = Decimal(3) if baseline is None else Decimal(baseline)
    counter = counter_usage(None if baseline is None else start, before, floats, 0.0, end, GAP)
    assert (counter.quantity, counter.raw_end) == plain_counter(start, decimals)
    points = plain_points(exact_before, decimals, GAP)
    covered, value_seconds = plain_covered_and_value_seconds(points, end, GAP)
    assert counter.covered_seconds == int(covered)
    gauge = gauge_usage(before, floats, 0.0, end, GAP)
    assert gauge.quantity == value_seconds / 3600
    assert gauge.covered_seconds == int(covered)
