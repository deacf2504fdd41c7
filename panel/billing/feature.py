"""Billing joins the app: the billing and payment pages, the monthly run, the dashboard's card
of a member's open invoices, invoices in the admins' search, and a member's invoices and
payment details in its data export."""

from flask import Flask

from panel.billing import export, payment_views, search, tasks, views
from panel.billing.keys import per_unit_word, shared_by, unit_word
from panel.core.cards import Card, add_card
from panel.core.export import ExportPart, add_export_part
from panel.core.queue import add_task
from panel.core.search import add_finder


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(payment_views.bp)
    add_card(app, "summary", Card("billing/_open_invoices.html", views.open_invoices_card, 30))
    add_task(app, "billing_monthly", tasks.register)
    add_finder(app, search.INVOICES)
    app.add_template_filter(unit_word, "unit_word")
    app.add_template_filter(per_unit_word, "per_unit_word")
    app.add_template_filter(shared_by, "shared_by")
    add_export_part(app, ExportPart("billing", export.billing_part))
