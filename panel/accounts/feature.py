"""Accounts join the app: logins, their pages, the pages keeping accounts (admins' and
resellers'), the dashboard's card of a reseller's customers, admins' tokens as readers of
/metrics, and the member's logins in its data export."""

from flask import Flask

from panel.accounts import auth, export, management_views, tokens, views
from panel.core.cards import Card, add_card
from panel.core.export import ExportPart, add_export_part
from panel.core.metrics import add_reader


def register(app: Flask) -> None:
    auth.init_login(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(management_views.bp)
    add_card(app, "dashboard", Card("accounts/_customers.html", views.customers_card, 40))
    add_reader(app, tokens.admin_bearer)
    add_export_part(app, ExportPart("account", export.accounts_part))
