"""Helpers every template can use: the current language, labels, money, domain names,
quantities and times (UTC)."""

from flask import Flask
from flask_babel import get_locale

from panel.core.labels import label
from panel.core.money import format_money
from panel.metering.units import format_quantity
from panel.webspaces.names import display_domain


def init_app(app: Flask) -> None:
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.globals["money"] = lambda amount: format_money(amount, str(get_locale()))
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["domain"] = display_domain
    app.jinja_env.filters["quantity"] = format_quantity
    app.jinja_env.filters["datetime"] = lambda moment: moment.strftime("%Y-%m-%d %H:%M")
