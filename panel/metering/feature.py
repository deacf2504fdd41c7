"""Metering joins the app: the usage pages, the periodic collection and the `quantity`
filter."""

from flask import Flask

from panel.core.queue import add_task
from panel.metering import tasks, views
from panel.metering.units import format_quantity


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    add_task(app, "collect_usage", tasks.register)
    app.add_template_filter(format_quantity, "quantity")
