"""The value of a share: configurable, and every amount shown is count × value, in de and en."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from panel.config import settings_from_env
from panel.coop.operations import record_share_transaction, share_value

DAY = date(2024, 3, 1)
NBSP = "\xa0"  # babel puts a no-break space between a German amount and "€"


@pytest.fixture
def seven_shares(make_member, login_as):
    """A member holding 7 shares, logged in: (client, member)."""
    member = make_member("sev", on=DAY)
    record_share_transaction(member, "subscription", 7, DAY)
    client, _ = login_as(member.users[0])
    return client, member


def in_german(client):
    with client.session_transaction() as session:
        session["lang"] = "de"
    return client


def capital_in_csv(client) -> str:
    text = client.get("/admin/members.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    return dict(zip(rows[0], rows[1], strict=True))["share_capital_eur"]


def test_the_default_share_value_is_64_eur(app):
    assert app.config["SHARE_VALUE"] == Decimal("64.00")
    assert share_value() == Decimal("64.00")


def test_the_environment_sets_the_share_value():
    assert settings_from_env({"PANEL_SHARE_VALUE": "100.50"})["SHARE_VALUE"] == Decimal("100.50")
    assert settings_from_env({})["SHARE_VALUE"] == Decimal("64.00")


@pytest.mark.parametrize(
    ("configured", "value"),
    [
        (Decimal("100"), Decimal("100.00")),
        ("25", Decimal("25.00")),
        ("12,50", Decimal("12.50")),
        (0.1, Decimal("0.10")),
        (50, Decimal("50.00")),
    ],
)
def test_the_share_value_is_read_as_money(set_share_value, configured, value):
    set_share_value(configured)
    assert share_value() == value


def test_the_member_page_shows_count_times_value_in_english(seven_shares, set_share_value):
    client, _ = seven_shares
    html = client.get("/membership").get_data(as_text=True)
    assert "€448.00" in html  # 7 × 64
    set_share_value(Decimal("100"))
    html = client.get("/membership").get_data(as_text=True)
    assert "€700.00" in html
    assert "€448.00" not in html


def test_the_member_page_shows_count_times_value_in_german(seven_shares, set_share_value):
    client = in_german(seven_shares[0])
    html = client.get("/membership").get_data(as_text=True)
    assert f"448,00{NBSP}€" in html
    set_share_value("12,50")
    html = client.get("/membership").get_data(as_text=True)
    assert f"87,50{NBSP}€" in html


def test_the_admin_pages_and_csv_follow_the_share_value(seven_shares, login_as, set_share_value):
    _, member = seven_shares
    client, _ = login_as("admin")
    assert "€448.00" in client.get(f"/admin/members/{member.id}").get_data(as_text=True)
    assert "€448.00" in client.get("/admin/members").get_data(as_text=True)
    assert capital_in_csv(client) == "448,00"
    set_share_value(Decimal("100"))
    assert "€700.00" in client.get(f"/admin/members/{member.id}").get_data(as_text=True)
    assert "€700.00" in client.get("/admin/members").get_data(as_text=True)
    assert capital_in_csv(client) == "700,00"
    in_german(client)
    assert f"700,00{NBSP}€" in client.get("/admin/members").get_data(as_text=True)
