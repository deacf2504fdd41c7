"""Webspaces join the app: their pages, the periodic housekeeping, the `domain` filter, the
certificates' metric, their actions, job outcomes and resources (whose customer reads their
jobs) for provisioning, the webspaces serving each customer on the pages that keep customers'
accounts, and what a host's release upgrade means for them (their sites checked, set up again
afterwards)."""

from flask import Flask

from panel.core.cards import Card, add_card
from panel.core.metrics import add_collector
from panel.core.queue import add_task
from panel.hosts.operations import host_upgraded
from panel.provisioning import actions, outcomes, resources
from panel.webspaces import changes, tasks, tls, upgrades, views
from panel.webspaces.names import display_domain


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    add_card(
        app, "customers", Card("webspaces/_customer_webspaces.html", views.customer_webspaces_card)
    )
    add_task(app, "webspace_housekeeping", tasks.register)
    app.add_template_filter(display_domain, "domain")
    add_collector(app, tls.CertificateCollector())
    for action in changes.ACTIONS.values():
        actions.register(action)
    for model, outcome in changes.OUTCOMES.items():
        outcomes.register_outcome(model.__name__, outcome)
        resources.register_resource(model)
    actions.add_upgrade_variables(upgrades.upgrade_variables)
    host_upgraded.connect(upgrades.set_up_again)
