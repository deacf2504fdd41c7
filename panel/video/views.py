"""Pages for video: a member's tenant (its BBB endpoint and secret) and rooms, a room's page with
its settings, shares and recordings, the public room page guests join from, and the admins'
page of BBB servers and tenants."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from panel.core.access import own_member, require_role
from panel.core.errors import PanelError
from panel.core.forms import run_from_button, show_errors
from panel.core.roles import MEMBER_ROLES, Role
from panel.extensions import db, limiter
from panel.hosts.models import Host, HostRole, HostState
from panel.video import forms, meetings, operations, recordings, rooms
from panel.video.loaders import (
    load_bbb_server,
    load_room,
    load_share,
    load_tenant,
    room_by_slug,
    visible_rooms,
)
from panel.video.models import BbbServer, VideoTenant
from panel.video.status import server_status

bp = Blueprint("video", __name__)
# Guesses at a room's access code are slowed down like guesses at a password.
guest_limited = limiter.limit("20 per 10 minutes", methods=["POST"])


def _room_values(form: forms.RoomForm) -> dict:
    return {name: getattr(form, name).data for name in rooms.INPUT_FIELDS}


def _index(form=None, status: int = 200, secret: str | None = None):
    member = current_user.member
    tenant = operations.tenant_of(member) if member is not None else None
    page = render_template(
        "video/index.html",
        tenant=tenant,
        secret=secret,
        rooms=db.session.scalars(visible_rooms().limit(500)).all(),
        form=form or forms.RoomForm(formdata=None),
    )
    return page, status


@bp.get("/video")
@login_required
def index():
    require_role(*MEMBER_ROLES, Role.ADMIN)
    return _index()


def _with_new_secret(make_secret):
    """The page with the secret MAKE_SECRET made, or back with its refusal."""
    try:
        secret = make_secret()
    except PanelError as exc:
        flash(exc.message, "error")
        return redirect(url_for("video.index"))
    # Shown once, on this answer only: never in a flash message (the session cookie).
    return _index(secret=secret)


@bp.post("/video/tenant")
@login_required
def tenant_create():
    require_role(*MEMBER_ROLES)
    return _with_new_secret(lambda: operations.create_tenant(own_member())[1])


@bp.post("/video/tenant/rotate")
@login_required
def tenant_rotate():
    require_role(*MEMBER_ROLES)
    tenant = operations.own_tenant(own_member())
    return _with_new_secret(lambda: operations.rotate_secret(tenant)[0])


@bp.post("/video/tenant/end")
@login_required
def tenant_end():
    require_role(*MEMBER_ROLES)
    tenant = operations.own_tenant(own_member())
    run_from_button(operations.end_tenant, tenant, done=_("The video service is ending."))
    return redirect(url_for("video.index"))


@bp.post("/video/rooms")
@login_required
def room_create():
    require_role(*MEMBER_ROLES)
    form = forms.RoomForm(request.form)
    if form.validate_on_submit():
        try:
            room = rooms.create_room(own_member(), _room_values(form))
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("The room is ready."), "success")
            return redirect(url_for("video.room", room_id=room.id))
    return _index(form, 422)


def _room_page(room, form=None, share_form=None, status: int = 200):
    owner = room.member_id == current_user.member_id or current_user.role == Role.ADMIN
    try:
        listed, problem = recordings.recordings(room), None
    except PanelError as exc:
        listed, problem = [], exc.message
    page = render_template(
        "video/room.html",
        room=room,
        owner=owner,
        form=form or forms.RoomForm(obj=room, formdata=None),
        share_form=share_form or forms.ShareForm(formdata=None),
        recordings=listed,
        recordings_problem=problem,
        public_url=url_for("video.guest", slug=room.slug, _external=True),
    )
    return page, status


@bp.get("/video/rooms/<int:room_id>")
@login_required
def room(room_id: int):
    return _room_page(load_room(room_id))


@bp.post("/video/rooms/<int:room_id>")
@login_required
def room_update(room_id: int):
    room = load_room(room_id, change=True)
    form = forms.RoomForm(request.form)
    if form.validate_on_submit():
        try:
            rooms.update_room(room, _room_values(form))
        except PanelError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("video.room", room_id=room.id))
    return _room_page(load_room(room_id, change=True), form=form, status=422)


@bp.post("/video/rooms/<int:room_id>/delete")
@login_required
def room_delete(room_id: int):
    run_from_button(rooms.delete_room, load_room(room_id, change=True), done=_("Room removed."))
    return redirect(url_for("video.index"))


@bp.post("/video/rooms/<int:room_id>/start")
@login_required
def room_start(room_id: int):
    room = load_room(room_id)
    name = current_user.display_name or current_user.email
    try:
        return redirect(meetings.start(room, name))
    except PanelError as exc:
        flash(exc.message, "error")
        return redirect(url_for("video.room", room_id=room.id))


@bp.post("/video/rooms/<int:room_id>/shares")
@login_required
def room_share(room_id: int):
    room = load_room(room_id, change=True)
    form = forms.ShareForm(request.form)
    if form.validate_on_submit():
        try:
            rooms.share_room(room, form.member.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Shared."), "success")
            return redirect(url_for("video.room", room_id=room.id))
    return _room_page(room, share_form=form, status=422)


@bp.post("/video/shares/<int:share_id>/delete")
@login_required
def share_delete(share_id: int):
    share = load_share(share_id)
    room_id = share.room_id
    run_from_button(rooms.unshare_room, share, done=_("No longer shared."))
    return redirect(url_for("video.room", room_id=room_id))


RECORDING_CHANGES = "<any(publish, unpublish, protect, unprotect, delete):change>"


@bp.post(f"/video/rooms/<int:room_id>/recordings/{RECORDING_CHANGES}")
@login_required
def recording_change(room_id: int, change: str):
    room = load_room(room_id, change=True)
    run_from_button(recordings.change, room, request.form.get("record_id", ""), change)
    return redirect(url_for("video.room", room_id=room.id))


@bp.route("/r/<slug>", methods=["GET", "POST"])
@guest_limited
def guest(slug: str):
    """A room's public page: a guest gives a name (and the code) and waits for the meeting."""
    room = room_by_slug(slug)
    form = forms.GuestForm(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            admitted = meetings.admit(room, form.name.data, form.code.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            ticket = meetings.pass_token(room, admitted)
            return redirect(url_for("video.wait", slug=room.slug, ticket=ticket))
    status = 422 if request.method == "POST" else 200
    return render_template("video/guest.html", room=room, form=form), status


@bp.get("/r/<slug>/wait/<ticket>")
def wait(slug: str, ticket: str):
    """Into the meeting once it runs; until then a page that looks again every few seconds."""
    room = room_by_slug(slug)
    admitted = meetings.pass_from(room, ticket)
    url = meetings.enter(room, admitted)
    if url is not None:
        return redirect(url)
    return render_template("video/wait.html", room=room, guest=admitted)


@bp.get("/video/admin")
@login_required
def admin():
    require_role(Role.ADMIN)
    return _admin()


def _admin(form=None, status: int = 200, refused_limits: dict | None = None):
    """The cluster page; REFUSED_LIMITS: a tenant's limits form sent back as typed."""
    servers = db.session.scalars(select(BbbServer).order_by(BbbServer.domain)).all()
    taken = select(BbbServer.host_id).where(BbbServer.host_id.is_not(None))
    installable = db.session.scalars(
        select(Host)
        .where(Host.role == HostRole.BBB, Host.state == HostState.READY, Host.id.not_in(taken))
        .order_by(Host.name)
    ).all()
    tenants = db.session.scalars(select(VideoTenant).order_by(VideoTenant.name)).all()
    page = render_template(
        "video/admin.html",
        servers=[(server, server_status(server)) for server in servers],
        tenants=tenants,
        form=form or forms.ServerForm(formdata=None),
        limits_form=forms.LimitsForm,
        refused_limits=refused_limits or {},
        installable=installable,
    )
    return page, status


@bp.post("/video/admin/servers")
@login_required
def server_add():
    require_role(Role.ADMIN)
    form = forms.ServerForm(request.form)
    if form.validate_on_submit():
        try:
            operations.add_server(form.domain.data, form.secret.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Added; BBBLB is being told."), "success")
            return redirect(url_for("video.admin"))
    return _admin(form, 422)


SERVER_CHANGES = "<any(cordon, enable, panic):change>"


@bp.post("/video/admin/install")
@login_required
def server_install():
    """BigBlueButton on one of the ready hosts of the role bbb."""
    require_role(Role.ADMIN)
    host = request.form.get("host", "")
    run_from_button(operations.install_server, host, done=_("Installing BigBlueButton."))
    return redirect(url_for("video.admin"))


@bp.post(f"/video/admin/servers/<int:bbb_server_id>/{SERVER_CHANGES}")
@login_required
def server_action(bbb_server_id: int, change: str):
    require_role(Role.ADMIN)
    server = load_bbb_server(bbb_server_id)
    if change == "panic":
        run_from_button(operations.panic_server, server, done=_("Ending every meeting on it."))
    else:
        run_from_button(operations.set_server_enabled, server, change == "enable")
    return redirect(url_for("video.admin"))


@bp.post("/video/admin/tenants/<int:tenant_id>/limits")
@login_required
def tenant_limits(tenant_id: int):
    require_role(Role.ADMIN)
    tenant = load_tenant(tenant_id)
    form = forms.LimitsForm(request.form, prefix=f"t{tenant.id}-")
    if form.validate_on_submit():
        try:
            operations.set_limits(
                tenant,
                form.max_participants.data,
                form.max_duration_minutes.data,
                form.recording_allowed.data,
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Done."), "success")
            return redirect(url_for("video.admin"))
    else:
        flash(_("Limits are whole numbers."), "error")
    return _admin(status=422, refused_limits={tenant.id: form})
