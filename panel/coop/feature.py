"""The cooperative joins the app: the member register's pages, and the dashboard's cards of
members by status (admins) and of one's own membership."""

from flask import Flask

from panel.coop import views
from panel.core.cards import Card, add_card


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    add_card(
        app, "dashboard", Card("coop/_members_by_status.html", views.members_by_status_card, 10)
    )
    add_card(app, "dashboard", Card("coop/_own_membership.html", views.own_membership_card, 30))
