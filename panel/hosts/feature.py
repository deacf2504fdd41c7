"""The host inventory joins the app: its pages."""

from flask import Flask

from panel.hosts import views


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
