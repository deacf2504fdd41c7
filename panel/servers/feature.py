"""Managed servers join the app: their pages, the periodic purge of archives, their actions and
job outcome for provisioning, the servers a member runs (and the shares they need) for the
cooperative's notices, and in its data export."""

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.coop.models import Member
from panel.coop.services import Service, add_service
from panel.core.cards import Card, add_card
from panel.core.export import ExportPart, add_export_part
from panel.core.queue import add_task
from panel.extensions import db
from panel.provisioning import actions, outcomes, resources
from panel.servers import changes, export, models, tasks, views
from panel.servers.operations import live_servers


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    add_card(app, "customers", Card("servers/_customer_servers.html", views.customer_servers_card))
    add_task(app, "server_housekeeping", tasks.register)
    for action in changes.ACTIONS.values():
        actions.register(action)
    outcomes.register_outcome("Server", changes.ServerOutcome())
    resources.register_resource(models.Server)
    add_export_part(app, ExportPart("servers", export.servers_part))
    add_service(app, Service(_l("Managed servers"), _running, _shares_needed))


def _running(member: Member) -> list[str]:
    servers = db.session.scalars(
        select(models.Server.id)
        .where(
            models.Server.member_id == member.id,
            models.Server.state != models.ServerState.RELEASED,
        )
        .order_by(models.Server.id)
    )
    return [f"#{server_id}" for server_id in servers]


def _shares_needed(member: Member) -> int:
    return current_app.config["SERVER_SHARES_PER_SERVER"] * live_servers(member)
