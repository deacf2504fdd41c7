"""Governance joins the app: the resolutions' pages for members and the board, the periodic
task that opens and closes their phases, the Markdown filter their texts go through, and a
member's votes, receipts and contributions in its data export."""

from flask import Flask

from panel.core.export import ExportPart, add_export_part
from panel.core.queue import add_task
from panel.governance import admin_views, export, markdown, tasks, views


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    add_task(app, "governance_phases", tasks.register)
    app.add_template_filter(markdown.render, "markdown")
    add_export_part(app, ExportPart("governance", export.governance_part))
