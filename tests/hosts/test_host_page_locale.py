"""The host page's sizes and times in the page's locale; memory the facts lack is unknown."""

from datetime import datetime

import pytest

from panel.extensions import db

FACTS = {
    "os": "Debian 13",
    "cpus": 4,
    "memory_bytes": 8 * 2**30,
    "disk_bytes": 100 * 2**30,
    "disk_free_bytes": 1536 * 2**20,
}


@pytest.fixture
def admin(login_as):
    client, user = login_as("admin")
    user.locale = None
    db.session.commit()
    return client


def test_the_host_page_shows_sizes_and_times_in_german_and_english(admin, make_host):
    host = make_host("web7")
    host.facts = FACTS
    host.last_seen_at = datetime(2026, 12, 5, 13, 3)
    db.session.commit()
    german = admin.get(f"/admin/hosts/{host.id}", headers={"Accept-Language": "de"}).text
    english = admin.get(f"/admin/hosts/{host.id}", headers={"Accept-Language": "en"}).text
    assert "<td>8 GiB</td>" in german and "<td>100 GiB (1,5 GiB)</td>" in german
    assert "<td>8 GiB</td>" in english and "<td>100 GiB (1.5 GiB)</td>" in english
    assert "5. Dezember 2026, 14:03" in german
    assert "December 5, 2026, 2:03\u202fPM" in english


def test_memory_the_facts_lack_is_unknown_not_zero(admin, make_host):
    host = make_host("web8")
    host.facts = {"os": "Debian 13"}
    db.session.commit()
    german = admin.get(f"/admin/hosts/{host.id}", headers={"Accept-Language": "de"}).text
    english = admin.get(f"/admin/hosts/{host.id}", headers={"Accept-Language": "en"}).text
    assert "0.0 GiB" not in english and "<td>unknown</td>" in english
    assert "<td>unbekannt</td>" in german
