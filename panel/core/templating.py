"""Helpers every template can use: the current language, labels, money, numbers, sizes, dates
and times (in the person's time zone; see panel.core.formats). The features add their own
filters (e.g. domain names, quantities)."""

from flask import Flask
from flask_babel import get_locale

from panel.core import formats
from panel.core.labels import label
from panel.core.money import format_money


def init_app(app: Flask) -> None:
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.globals["money"] = lambda amount: format_money(amount, str(get_locale()))
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["datetime"] = formats.format_moment
    app.jinja_env.filters["date"] = formats.format_day
    app.jinja_env.filters["time"] = formats.format_clock
    app.jinja_env.filters["month"] = formats.format_month
    app.jinja_env.filters["number"] = formats.format_number
    app.jinja_env.filters["size"] = formats.format_size
    app.jinja_env.filters["rounded"] = formats.format_rounded
    app.jinja_env.filters["signed"] = formats.format_signed
    app.jinja_env.globals["price"] = formats.format_price
