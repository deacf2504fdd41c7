"""Numbers, sizes, dates and times in the page's locale and the person's time zone: the
filters, the time zone setting on the account page, and no hand-made formats in templates."""

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import flask_babel
import pytest
import pytz
from flask_babel import force_locale

from panel.accounts.operations import create_api_token
from panel.core.audit import acting
from panel.core.formats import format_clock, format_moment
from panel.extensions import db

TEMPLATES = Path(__file__).resolve().parents[2] / "panel" / "templates"
# strftime/isoformat ignore the locale and the time zone; "%.2f" % x and | round ignore the
# locale's separators: the filters of panel/core/templating.py say them in the person's terms.
HAND_MADE = re.compile(r"strftime|isoformat|[\"']%[+]?\.\d*f|\|\s*round\b")
MOMENT = datetime(2026, 12, 5, 13, 3, 27)  # naive UTC, as stored


def test_no_template_formats_numbers_or_times_by_hand():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if HAND_MADE.search(line)
    ]
    assert found == []


def render(app, locale, source, **values):
    with app.test_request_context(), force_locale(locale):
        return app.jinja_env.from_string(source).render(**values)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de", "5. Dezember 2026, 14:03 · 5. Dezember 2026, 14:03:27 · 14:03"),
        ("en", "December 5, 2026, 2:03\u202fPM · December 5, 2026, 2:03:27\u202fPM · 2:03\u202fPM"),
    ],
)
def test_moments_are_shown_in_the_locale_and_the_panels_time_zone(app, locale, expected):
    source = "{{ m | datetime }} · {{ m | datetime(seconds=True) }} · {{ m | time }}"
    assert render(app, locale, source, m=MOMENT) == expected


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("locale", ["de", "en"])
def test_a_moment_and_its_time_of_day_read_as_flask_babels_formatters_make_them(
    app, monkeypatch, zone, locale
):
    # Around both of 2026's clock changes in Europe and in the USA, and across midnight.
    monkeypatch.setattr(flask_babel, "get_timezone", lambda: pytz.timezone(zone))
    moments = [
        datetime(2026, month, day, hour, 59, 30)
        for month, day in ((3, 8), (3, 29), (10, 25), (11, 1), (12, 31))
        for hour in range(0, 24, 3)
    ]
    with app.test_request_context(), force_locale(locale):
        for moment in moments:
            for seconds in (False, True):
                clock = flask_babel.format_time(moment, "medium" if seconds else "short")
                expected = f"{flask_babel.format_date(moment, 'long')}, {clock}"
                assert format_moment(moment, seconds) == expected
            assert format_clock(moment) == flask_babel.format_time(moment, "short")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("de", "5. Dezember 2026 · Dezember 2026"), ("en", "December 5, 2026 · December 2026")],
)
def test_days_and_months(app, locale, expected):
    assert render(app, locale, "{{ d | date }} · {{ d | month }}", d=date(2026, 12, 5)) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de", "1.234,5 · 1.234,50 · 0,87 · 0,000123 · +0,004 · 45,93\xa0€ · 0,0001234\xa0€"),
        ("en", "1,234.5 · 1,234.50 · 0.87 · 0.000123 · +0.004 · €45.93 · €0.0001234"),
    ],
)
def test_numbers_and_prices(app, locale, expected):
    source = (
        "{{ n | number }} · {{ n | number(2) }} · {{ q | rounded }} · {{ t | rounded }} · "
        "{{ r | signed }} · {{ price(p) }} · {{ price(t, exact=True) }}"
    )
    values = {
        "n": Decimal("1234.500"),
        "q": Decimal("0.8666"),
        "t": Decimal("0.0001234"),
        "r": Decimal("0.004"),
        "p": Decimal("45.9312"),
    }
    assert render(app, locale, source, **values) == expected


@pytest.mark.parametrize(
    ("value", "german", "english"),
    [
        (10 * 2**30, "10 GiB", "10 GiB"),
        (512 * 2**20, "512 MiB", "512 MiB"),
        (1536 * 2**20, "1,5 GiB", "1.5 GiB"),
        (1000, "1.000 B", "1,000 B"),
        (3 * 2**40, "3 TiB", "3 TiB"),
        (None, "unbekannt", "unknown"),
    ],
)
def test_sizes_in_binary_units(app, value, german, english):
    assert render(app, "de", "{{ v | size }}", v=value) == german
    assert render(app, "en", "{{ v | size }}", v=value) == english


@pytest.fixture
def token_user(make_user):
    user = make_user("member")
    user.locale = "de"
    with acting("cli", user):
        token, _ = create_api_token(user, "laptop", expires_in_days=30)
    token.expires_at = MOMENT
    db.session.commit()
    return user


def test_the_time_zone_setting_changes_shown_times(token_user, login_as):
    client, _ = login_as(token_user)
    assert "5. Dezember 2026, 14:03" in client.get("/account").text
    answer = client.post("/account/timezone", data={"timezone": "America/New_York"})
    assert answer.status_code == 302
    db.session.refresh(token_user)
    assert token_user.timezone == "America/New_York"
    page = client.get("/account").text
    assert "5. Dezember 2026, 08:03" in page and "14:03" not in page
    # Back to the panel's own (PANEL_TIMEZONE, Europe/Berlin).
    client.post("/account/timezone", data={"timezone": ""})
    db.session.refresh(token_user)
    assert token_user.timezone is None
    assert "5. Dezember 2026, 14:03" in client.get("/account").text


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "Europe/Berlin\x00", "x" * 300, "UTC+1"])
def test_a_bad_time_zone_is_refused_and_changes_nothing(token_user, login_as, bad):
    token_user.timezone = "Asia/Tokyo"
    db.session.commit()
    client, _ = login_as(token_user)
    answer = client.post("/account/timezone", data={"timezone": bad})
    assert answer.status_code == 422
    assert "Bitte wählen Sie eine Zeitzone aus der Liste." in answer.text
    db.session.refresh(token_user)
    assert token_user.timezone == "Asia/Tokyo"


def test_the_api_sets_and_refuses_time_zones(token_user, api_as):
    client, _ = api_as(token_user)
    answer = client.patch("/api/v1/account", json={"timezone": "Asia/Tokyo"})
    assert answer.status_code == 200 and answer.json["timezone"] == "Asia/Tokyo"
    refused = client.patch(
        "/api/v1/account",
        json={"timezone": "Mars/Olympus_Mons", "display_name": "Neu"},
        headers={"Accept-Language": "de"},
    )
    assert refused.status_code == 422
    assert refused.json["error"]["fields"]["timezone"] == [
        "Bitte wählen Sie eine Zeitzone aus der Liste."
    ]
    db.session.refresh(token_user)
    assert token_user.timezone == "Asia/Tokyo" and token_user.display_name != "Neu"
    back = client.patch("/api/v1/account", json={"timezone": None})
    assert back.status_code == 200 and back.json["timezone"] is None
