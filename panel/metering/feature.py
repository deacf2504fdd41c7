"""Metering joins the app: the usage pages, the periodic collection, the `quantity` filter, the
dashboard's card of a member's disk space, and the member's ledger in its data export."""

from flask import Flask

from panel.core.cards import Card, add_card
from panel.core.export import ExportPart, add_export_part
from panel.core.queue import add_task
from panel.metering import export, tasks, views
from panel.metering.units import format_quantity


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    add_card(app, "summary", Card("metering/_disk.html", views.disk_card, 20))
    add_task(app, "collect_usage", tasks.register)
    app.add_template_filter(format_quantity, "quantity")
    add_export_part(app, ExportPart("usage", export.usage_part))
