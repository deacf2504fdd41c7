"""Webspaces join the app: their pages, the periodic housekeeping, the `domain` filter, the
certificates' metric, their actions, job outcomes and resources (whose customer reads their
jobs) for provisioning, the webspaces serving each customer on the pages that keep customers'
accounts, a member's webspaces on the dashboard (or the first one to create), what a host's
release upgrade means for them (their sites checked, set up again afterwards), webspaces
and domains in the admins' search, all of them in the member's data export, and a member's
webspaces that must be deleted before it leaves the cooperative."""

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.coop.models import Member
from panel.coop.services import Service, add_service
from panel.core.cards import Card, add_card
from panel.core.export import ExportPart, add_export_part
from panel.core.metrics import add_collector
from panel.core.queue import add_task
from panel.core.search import add_finder
from panel.extensions import db
from panel.hosts.operations import host_upgraded
from panel.provisioning import actions, outcomes, resources
from panel.webspaces import changes, export, search, tasks, tls, upgrades, views
from panel.webspaces.models import State, Webspace
from panel.webspaces.names import display_domain


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    add_card(
        app, "customers", Card("webspaces/_customer_webspaces.html", views.customer_webspaces_card)
    )
    add_card(app, "summary", Card("webspaces/_summary.html", views.summary_card, 10))
    add_card(app, "dashboard", Card("webspaces/_first_webspace.html", views.first_webspace_card, 5))
    add_card(app, "host", Card("webspaces/_host_webspaces.html", views.host_webspaces_card, -1))
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
    add_finder(app, search.WEBSPACES)
    add_finder(app, search.DOMAINS)
    add_export_part(app, ExportPart("webspaces", export.webspaces_part))
    add_service(app, Service(_l("Webspaces"), _running))


def _running(member: Member) -> list[str]:
    return list(
        db.session.scalars(
            select(Webspace.name)
            .where(Webspace.member_id == member.id, Webspace.state != State.DELETED)
            .order_by(Webspace.name)
        )
    )
