"""Video joins the app: its pages, the jobs that tell BBBLB (the cluster's state, a panic) and
their outcomes on BBB servers and tenants, and a member's tenant and rooms, which must end
before it leaves the cooperative, and are in its data export."""

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.coop.models import Member
from panel.coop.services import Service, add_service
from panel.core.export import ExportPart, add_export_part
from panel.extensions import db
from panel.provisioning import actions, outcomes, resources
from panel.video import balancer, cluster, export, views
from panel.video.models import BbbServer, Room, VideoTenant


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    for action in (balancer.BALANCER_ACTION, cluster.STATE, cluster.INSTALL, cluster.PANIC):
        actions.register(action)
    for model in (BbbServer, VideoTenant):
        outcomes.register_outcome(model.__name__, cluster.SyncOutcome(model))
        resources.register_resource(model)
    add_export_part(app, ExportPart("video", export.video_part))
    add_service(app, Service(_l("Video tenant"), _tenant))
    add_service(app, Service(_l("Video rooms"), _rooms))


def _tenant(member: Member) -> list[str]:
    """The member's tenant unless it ended (BBBLB keeps an ended one, disabled)."""
    return list(
        db.session.scalars(
            select(VideoTenant.realm).where(
                VideoTenant.member_id == member.id, VideoTenant.ended_at.is_(None)
            )
        )
    )


def _rooms(member: Member) -> list[str]:
    return list(
        db.session.scalars(select(Room.name).where(Room.member_id == member.id).order_by(Room.name))
    )
