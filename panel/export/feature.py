"""The export joins the app: the download of one's own data and its card on the account page.
The parts of the archive come from the features (panel/core/export.py)."""

from flask import Flask

from panel.core.cards import Card, add_card
from panel.export import views


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    add_card(app, "account", Card("export/_export.html", views.export_card, 50))
