"""Property tests of the shared validators: a clean value or ValidationFailed, nothing else."""

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from panel.core.errors import ValidationFailed
from panel.core.money import CENT, to_money
from panel.core.validators import (
    clean_date,
    clean_email,
    clean_positive_int,
    clean_prefix,
    clean_text,
)

# Every code point, lone surrogates and control characters included.
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
ANY_TEXT = st.text(alphabet=ANY_CHARACTER, max_size=300)
ANYTHING = st.one_of(
    ANY_TEXT,
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.binary(max_size=20),
    st.dates(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)


def _field_error(call, *args, **kwargs):
    """The result of a validator, or None when it raised ValidationFailed (which names the
    field); any other exception fails the test."""
    try:
        return call("field", *args, **kwargs)
    except ValidationFailed as exc:
        assert list(exc.fields) == ["field"]
        assert exc.fields["field"]
        return None


@given(
    value=ANYTHING,
    max_length=st.integers(min_value=0, max_value=300),
    required=st.booleans(),
    multiline=st.booleans(),
)
@example(value="a\x00b", max_length=10, required=True, multiline=False)
@example(value="\ud800", max_length=10, required=True, multiline=True)
@example(value="one\u2028two", max_length=10, required=True, multiline=False)
@example(value="  ", max_length=10, required=True, multiline=False)
def test_clean_text(value, max_length, required, multiline):
    result = _field_error(
        clean_text, value, max_length=max_length, required=required, multiline=multiline
    )
    if result is None:
        return
    assert isinstance(result, str)
    assert len(result) <= max_length
    assert result == result.strip()
    assert result == (value or "").strip()
    assert not required or result
    allowed = {"\n", "\r", "\t"} if multiline else set()
    for char in result:
        assert char in allowed or unicodedata.category(char) not in {"Cc", "Cs"}
    if not multiline:
        assert not any(unicodedata.category(char) in {"Zl", "Zp"} for char in result)
    result.encode("utf-8")  # storable in either database


def test_clean_text_examples():
    assert clean_text("f", "  Ada Lovelace \n", max_length=20) == "Ada Lovelace"
    assert clean_text("f", "line one\nline two", max_length=20, multiline=True).count("\n") == 1
    assert clean_text("f", None, max_length=5, required=False) == ""
    with pytest.raises(ValidationFailed):
        clean_text("f", "line one\nline two", max_length=20)
    with pytest.raises(ValidationFailed):
        clean_text("f", "x" * 6, max_length=5)


@given(st.from_regex(r"[a-z]{3}", fullmatch=True))
def test_clean_prefix_accepts_three_lowercase_letters(prefix):
    assert clean_prefix("field", prefix) == prefix


@given(ANYTHING)
@example("ab")
@example("abcd")
@example("ABC")
@example("äbc")
@example("ab1")
@example("abc\n")
def test_clean_prefix_accepts_nothing_else(value):
    result = _field_error(clean_prefix, value)
    if result is not None:
        assert re.fullmatch(r"[a-z]{3}", result)
        assert result == (value or "").strip()


@given(st.emails())
def test_clean_email_on_valid_addresses(address):
    result = _field_error(clean_email, address)
    if result is not None:
        assert result == result.lower()
        assert "@" in result
        assert len(result) <= 254


@given(ANYTHING)
@example("Ada@Example.ORG")
@example("not-an-address")
@example("a@b@c.org")
@example("ada@example.org\r\nBcc: eve@example.org")
def test_clean_email_on_anything(value):
    result = _field_error(clean_email, value)
    if result is not None:
        assert result == result.lower()
        assert "\n" not in result and "\r" not in result


def test_clean_email_examples():
    assert clean_email("f", " Ada@Example.ORG ") == "ada@example.org"
    with pytest.raises(ValidationFailed):
        clean_email("f", "ada@example.org\r\nBcc: eve@example.org")


@given(value=st.integers(), maximum=st.integers(min_value=1, max_value=10**9))
def test_clean_positive_int_on_ints(value, maximum):
    result = _field_error(clean_positive_int, value, maximum=maximum)
    assert result == (value if 1 <= value <= maximum else None)


@given(value=st.integers(min_value=0, max_value=10**30), maximum=st.integers(1, 10**9))
def test_clean_positive_int_on_digit_strings(value, maximum):
    result = _field_error(clean_positive_int, f" {value} ", maximum=maximum)
    assert result == (value if 1 <= value <= maximum else None)


@given(value=ANYTHING, maximum=st.integers(min_value=1, max_value=10**9))
@example(value="²", maximum=10)
@example(value="1\x1f", maximum=10)
@example(value="٣", maximum=10)
@example(value="9" * 5000, maximum=10)
@example(value="-5", maximum=10)
@example(value="+5", maximum=10)
@example(value="5.0", maximum=10)
@example(value=5.0, maximum=10)
@example(value=True, maximum=10)
def test_clean_positive_int_on_anything(value, maximum):
    result = _field_error(clean_positive_int, value, maximum=maximum)
    if result is None:
        return
    assert type(result) is int
    assert 1 <= result <= maximum
    # Only real ints and plain ASCII digit strings count as whole numbers.
    assert not isinstance(value, bool | float)
    assert isinstance(value, int) or re.fullmatch(r"\s*[0-9]+\s*", value, re.ASCII)


@given(st.dates())
def test_clean_date_on_dates_and_iso_strings(day):
    assert clean_date("field", day) == day
    assert clean_date("field", f" {day.isoformat()} ") == day


@given(day=st.dates(), limit=st.dates())
def test_clean_date_not_after(day, limit):
    result = _field_error(clean_date, day, not_after=limit)
    assert result == (day if day <= limit else None)


@given(ANYTHING)
@example("2026-02-30")
@example("20260101")
@example("2026-W01-1")
@example("2026-01-01T10:00")
@example(datetime(2026, 1, 1, 10, tzinfo=UTC))
def test_clean_date_on_anything(value):
    result = _field_error(clean_date, value, not_after=date.today() + timedelta(days=1))
    if result is not None:
        assert type(result) is date
        assert isinstance(value, date) or re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value)


@given(
    st.decimals(
        min_value=Decimal("-999999999999.99"),
        max_value=Decimal("999999999999.99"),
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_to_money_rounds_to_cents(amount):
    expected = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    assert to_money(amount) == expected
    assert to_money(str(amount)) == expected
    assert to_money(str(amount).replace(".", ",")) == expected
    assert to_money(amount).as_tuple().exponent == -2


@given(st.one_of(ANYTHING, st.floats()))
@example("1e400000000")
@example("999999999999.995")
@example("NaN")
@example("-Infinity")
@example("sNaN")
@example("1.234,56")
def test_to_money_on_anything(value):
    try:
        result = to_money(value)
    except ValueError:
        return
    assert isinstance(result, Decimal)
    assert result.is_finite()
    assert result.as_tuple().exponent == -2
    assert abs(result) < Decimal(10) ** 12


def test_to_money_examples():
    assert to_money("64") == Decimal("64.00")
    assert to_money(" 12,5 ") == Decimal("12.50")
    assert to_money(0.1) == Decimal("0.10")
    assert to_money("0.005") == Decimal("0.01")
    assert to_money("-0.005") == Decimal("-0.01")
