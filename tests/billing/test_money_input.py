"""Amounts and percentages are read by one parser (panel.core.money): a bad one gets the same
message on the page and in the API, in English and in German, and changes nothing."""

import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from panel.billing.models import BillingPeriod, CostPool
from panel.core.errors import ValidationFailed
from panel.core.money import clean_amount, clean_percent, in_cents, round_cents
from panel.extensions import db

AMOUNT = ("An amount in euros, like 1234.56.", "Ein Betrag in Euro, etwa 1234.56.")
NEGATIVE = ("Must not be negative.", "Darf nicht negativ sein.")
PERCENT = ("A percentage from 0 to 100.", "Ein Prozentsatz von 0 bis 100.")
LANGUAGES = ("en", "de")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def page_errors(answer, field: str) -> list[str]:
    found = re.search(rf'<div id="{field}-errors">(.*?)</div>', answer.text, re.S)
    assert found, f"no errors shown for {field}"
    return [html.unescape(text) for text in re.findall(r'<p class="error">(.*?)</p>', found[1])]


@pytest.mark.parametrize(
    ("amount", "messages"),
    [
        ("lots", AMOUNT),
        ("1.234", AMOUNT),
        ("NaN", AMOUNT),
        ("1E+400", AMOUNT),
        # Was an Overflow (a 500): abs() of it exceeds the decimal context.
        ("1e400000000", AMOUNT),
        ("1000000000000", AMOUNT),
        ("1" * 21, AMOUNT),
        ("-1", NEGATIVE),
    ],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bad_pool_amount_gets_one_message_on_both_faces(
    login_as, api_as, period, amount, messages, language
):
    expected = messages[LANGUAGES.index(language)]
    headers = {"Accept-Language": language}
    page, _ = login_as("admin")
    answer = page.post(
        f"/admin/billing/{period.id}/pools",
        data={"name": "Power", "amount": amount, "key": "disk"},
        headers=headers,
    )
    assert answer.status_code == 422
    assert page_errors(answer, "amount") == [expected]
    api, _ = api_as("admin")
    answer = api.post(
        f"/api/v1/billing/periods/{period.id}/pools",
        json={"name": "Power", "amount": amount, "key": "disk"},
        headers=headers,
    )
    assert answer.status_code == 422
    assert answer.json["error"]["fields"] == {"amount": [expected]}
    assert count(CostPool) == 0


@pytest.mark.parametrize("percent", ["101", "-1", "19.005", "lots", "1" * 9])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bad_percentage_gets_one_message_on_both_faces(
    login_as, api_as, last_month, percent, language
):
    expected = PERCENT[LANGUAGES.index(language)]
    headers = {"Accept-Language": language}
    month = last_month.strftime("%Y-%m")
    page, _ = login_as("admin")
    answer = page.post(
        "/admin/billing",
        data={
            "month": month,
            "membership_fee": "0",
            "reserve_percent": percent,
            "vat_percent": "19",
        },
        headers=headers,
    )
    assert answer.status_code == 422
    assert page_errors(answer, "reserve_percent") == [expected]
    api, _ = api_as("admin")
    answer = api.post(
        "/api/v1/billing/periods",
        json={"month": month, "reserve_percent": percent},
        headers=headers,
    )
    assert answer.status_code == 422
    assert answer.json["error"]["fields"] == {"reserve_percent": [expected]}
    assert count(BillingPeriod) == 0


def test_amounts_are_read_with_a_point_or_a_comma_to_the_cent():
    assert clean_amount("fee", " 12,5 ") == Decimal("12.50")
    assert clean_amount("fee", Decimal("1E+2")) == Decimal("100.00")
    assert clean_amount("fee", "-12.50", signed=True) == Decimal("-12.50")
    assert clean_percent("vat", "19") == Decimal("19")
    with pytest.raises(ValidationFailed) as refused:
        clean_amount("fee", "-0.01")
    assert refused.value.fields == {"fee": ["Must not be negative."]}
    with pytest.raises(ValidationFailed) as refused:
        clean_amount("fee", "0.001", signed=True)
    assert refused.value.fields == {"fee": ["An amount in euros, like -12.50."]}
    for nothing in (None, True, ""):
        with pytest.raises(ValidationFailed):
            clean_amount("fee", nothing)


def test_rounding_to_the_cent_is_half_up_and_cents_are_whole():
    assert round_cents(Decimal("0.005")) == Decimal("0.01")
    assert round_cents(Decimal("-0.005")) == Decimal("-0.01")
    assert round_cents(Decimal("2.675")) == Decimal("2.68")
    assert in_cents(Decimal("8.33")) == 833
