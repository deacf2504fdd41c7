"""Usage pages: a member's webspaces over time and the ledger rows behind them; the fleet."""

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from panel.core.access import require_role, scope_to_member
from panel.core.errors import ValidationFailed
from panel.core.models import utcnow
from panel.core.roles import Role
from panel.extensions import db
from panel.metering import charts, usage
from panel.metering.meters import METERS, SERVER_METERS, VIDEO_METERS, WEBSPACE_METERS
from panel.metering.models import UsageRecord
from panel.servers.loaders import visible_servers
from panel.servers.models import Server
from panel.video.models import VideoTenant
from panel.webspaces.customers import customers_of
from panel.webspaces.loaders import load_webspace
from panel.webspaces.models import State, Webspace

bp = Blueprint("metering", __name__)
# A customer reads the usage of its servers and of the webspaces its reseller named as serving it.
READERS = (Role.ADMIN, Role.RESELLER, Role.MEMBER, Role.CUSTOMER)
ROWS_SHOWN = 200


@bp.get("/usage")
@login_required
def overview():
    require_role(*READERS)
    webspaces = db.session.scalars(
        scope_to_member(select(Webspace), Webspace.member_id, viewed_by=Webspace.served_to)
        .options(joinedload(Webspace.customer))
        .order_by(Webspace.name)
    ).all()
    servers = db.session.scalars(
        visible_servers()
        .where(Server.allocated_at.is_not(None))
        .options(joinedload(Server.customer), joinedload(Server.host))
    ).all()
    tenants = db.session.scalars(
        scope_to_member(select(VideoTenant), VideoTenant.member_id).order_by(VideoTenant.name)
    ).all()
    since = utcnow() - timedelta(days=30)
    # A reseller's own member record: the usage of what serves each customer.
    member = current_user.member if current_user.role == Role.RESELLER else None
    return render_template(
        "metering/overview.html",
        webspaces=webspaces,
        totals=usage.resource_totals(UsageRecord.webspace_id, [w.id for w in webspaces], since),
        servers=servers,
        server_totals=usage.resource_totals(UsageRecord.server_id, [s.id for s in servers], since),
        customers=customers_of(member.id) if member else [],
        customer_totals=usage.customer_totals(member.id, since) if member else {},
        meters=WEBSPACE_METERS,
        server_meters=SERVER_METERS,
        tenants=tenants,
        tenant_totals=usage.resource_totals(
            UsageRecord.video_tenant_id, [t.id for t in tenants], since
        ),
        video_meters=VIDEO_METERS,
        all_meters=METERS,
    )


@bp.get("/webspaces/<int:webspace_id>/usage")
@login_required
def webspace_usage(webspace_id: int):
    webspace = load_webspace(webspace_id)
    metric = usage.clean_metric(request.args.get("metric"), WEBSPACE_METERS) or "traffic"
    span = request.args.get("range") or "24h"
    if span not in usage.RANGES:
        raise ValidationFailed.field(
            "range", _l("One of: %(ranges)s.", ranges=", ".join(usage.RANGES))
        )
    buckets = usage.chart(webspace.id, metric, span)
    start = buckets[0].start
    rows = db.session.scalars(
        usage.records(webspace_id=webspace.id, metric=metric, start=start).limit(ROWS_SHOWN)
    ).all()
    return render_template(
        "metering/webspace.html",
        webspace=webspace,
        meter=METERS[metric],
        meters=WEBSPACE_METERS,
        span=span,
        spans=usage.RANGES,
        drawing=charts.chart(buckets),
        chart=charts,
        total=sum(bucket.quantity for bucket in buckets),
        rows=rows,
        rows_shown=ROWS_SHOWN,
        rates=usage.live_rates(webspace.name),
    )


@bp.get("/admin/usage")
@login_required
def fleet():
    require_role(Role.ADMIN)
    since = utcnow() - timedelta(days=1)
    week = utcnow() - timedelta(days=7)
    load, load_problem = usage.host_load()
    return render_template(
        "metering/fleet.html",
        meters=METERS,
        day=usage.fleet_totals(since, utcnow()),
        month=usage.fleet_totals(utcnow() - timedelta(days=30), utcnow()),
        load=load,
        load_problem=load_problem,
        incomplete=usage.incomplete_series(week),
        health=usage.collection_health(week),
        runs=usage.recent_runs(),
    )


def disk_card(user, **given) -> dict | None:
    """The dashboard's disk space a member's webspaces use, of their quota."""
    if user.role not in (Role.MEMBER, Role.RESELLER) or user.member_id is None:
        return None
    held = db.session.execute(
        select(Webspace.quota_mib, usage.latest_disk_bytes()).where(
            Webspace.member_id == user.member_id, Webspace.state != State.DELETED
        )
    ).all()
    if not held:
        return None
    measured = [used for _quota, used in held if used is not None]
    used = sum(measured) if measured else None
    return {"used_bytes": used, "quota_bytes": sum(quota for quota, _used in held) * 2**20}
