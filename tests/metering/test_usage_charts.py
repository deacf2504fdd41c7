"""Usage charts: axes with ticks in the page's locale, units, a legend, an empty state; drawn
with classes only (the CSP allows no style attributes)."""

import re
from datetime import timedelta

import pytest
from ledger_rows import ledger_row

from panel.core.models import utcnow
from panel.extensions import db
from panel.metering.charts import chart
from panel.metering.usage import Bucket

HOUR = timedelta(hours=1)


@pytest.fixture
def owner(make_member, make_webspace):
    member = make_member("chr")
    user = member.users[0]
    user.locale = None
    db.session.commit()
    return user, make_webspace(member)


def usage_page(client, webspace, language, query="metric=traffic&range=24h"):
    url = f"/webspaces/{webspace.id}/usage?{query}"
    return client.get(url, headers={"Accept-Language": language}).text


def test_the_value_axis_rounds_to_steps_and_bars_fit_under_it():
    start = utcnow().replace(minute=0, second=0, microsecond=0)
    buckets = [Bucket(start + HOUR * i, quantity, i == 1) for i, quantity in enumerate((0, 3, 7))]
    drawing = chart(buckets)
    assert [tick.value for tick in drawing.values] == [0, 2, 4, 6, 8]
    assert drawing.values[0].position > drawing.values[-1].position  # zero at the bottom
    tallest = max(drawing.bars, key=lambda bar: bar.height)
    assert tallest.bucket.quantity == 7 and tallest.y > drawing.values[-1].position
    assert drawing.hourly and drawing.incomplete and not drawing.empty
    assert [tick.value for tick in drawing.times] == [bucket.start for bucket in buckets]


def test_a_chart_has_axes_labels_units_and_a_legend_in_the_locale(owner, login_as):
    user, webspace = owner
    start = utcnow().replace(minute=0, second=0, microsecond=0) - HOUR * 2
    ledger_row(webspace, "traffic", 2_500_000, start, "complete")
    ledger_row(webspace, "traffic", 1_000_000, start - HOUR, "gap")
    client, _ = login_as(user)
    german = usage_page(client, webspace, "de")
    english = usage_page(client, webspace, "en")
    for page in (german, english):
        svg = page[page.index("<svg") : page.index("</svg>")]
        assert svg.count('class="axis"') >= 2 and 'class="value-label"' in svg
        assert 'class="time-label"' in svg
        assert "style=" not in svg
        assert 'class="legend"' in page
    # Value ticks in the meter's unit and the locale's number format (steps of 1 MB up to 4).
    assert ">1,00 MB</text>" in german and ">1.00 MB</text>" in english
    assert ">4,00 MB</text>" in german and ">4.00 MB</text>" in english
    assert ">0 B</text>" in german
    # Hour labels on the time axis, in the panel's time zone.
    assert re.search(r'class="time-label">\d{2}:00</text>', german)
    assert re.search(r'class="time-label">\d{1,2}:00\u202f[AP]M</text>', english)
    assert "unvollständig: eine Messlücke oder ein zurückgesetzter Zähler" in german
    assert "incomplete: a gap in the measurements or a counter reset" in english


def test_a_chart_without_data_says_so(owner, login_as):
    user, webspace = owner
    client, _ = login_as(user)
    german = usage_page(client, webspace, "de")
    english = usage_page(client, webspace, "en")
    assert "Noch keine Daten." in german and "No data yet." in english
    assert 'class="bar' not in english and 'class="legend"' not in english
