"""Helpers every template can use: the current language, labels, money and times (UTC). The
features add their own filters (e.g. domain names, quantities)."""

from flask import Flask
from flask_babel import get_locale

from panel.core.labels import label
from panel.core.money import format_money


def init_app(app: Flask) -> None:
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.globals["money"] = lambda amount: format_money(amount, str(get_locale()))
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["datetime"] = lambda moment: moment.strftime("%Y-%m-%d %H:%M")
