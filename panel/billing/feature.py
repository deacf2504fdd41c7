"""Billing joins the app: the billing and payment pages and the monthly run."""

from flask import Flask

from panel.billing import payment_views, tasks, views
from panel.core.queue import add_task


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(payment_views.bp)
    add_task(app, "billing_monthly", tasks.register)
