"""Notifications join the app: their pages, the unread count in the navigation, the card of
mail switches on the account page, and the mail sent once a notification is committed."""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from panel.core.cards import Card, add_card
from panel.notifications import operations, views


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.jinja_env.globals["unread_notifications"] = views.unread_notifications
    add_card(app, "account", Card("notifications/_mail_switches.html", views.mail_switches_card))
    for name, listener in (
        ("after_commit", operations.send_committed),
        ("after_rollback", operations.forget_uncommitted),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
