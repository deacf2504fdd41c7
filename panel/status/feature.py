"""The status card joins the dashboard, first of its cards."""

from flask import Flask

from panel.core.cards import Card, add_card
from panel.status import checks


def register(app: Flask) -> None:
    add_card(app, "dashboard", Card("status/_status.html", checks.status_card, 5))
