"""Managed servers join the app: their pages, the periodic purge of archives, their actions and
job outcome for provisioning."""

from flask import Flask

from panel.core.cards import Card, add_card
from panel.core.queue import add_task
from panel.provisioning import actions, outcomes, resources
from panel.servers import changes, models, tasks, views


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    add_card(app, "customers", Card("servers/_customer_servers.html", views.customer_servers_card))
    add_task(app, "server_housekeeping", tasks.register)
    for action in changes.ACTIONS.values():
        actions.register(action)
    outcomes.register_outcome("Server", changes.ServerOutcome())
    resources.register_resource(models.Server)
