"""The base layer joins the app first: the templates' helpers, errors, security headers,
metrics, the queue, its own pages and the dashboard's card of recent changes."""

from flask import Flask

from panel.core import activity, errors, headers, metrics, queue, templating, views
from panel.core.cards import Card, add_card


def register(app: Flask) -> None:
    templating.init_app(app)
    app.jinja_env.globals["activity"] = activity.activity
    errors.register_error_handlers(app)
    headers.init_app(app)
    metrics.init_app(app)
    queue.init_app(app)
    app.register_blueprint(views.bp)
    add_card(app, "dashboard", Card("core/_recent_changes.html", views.recent_changes_card, 20))
