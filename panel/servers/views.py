"""Pages for managed servers: a reseller's servers with the request form, a server's page with
its users and keys, firewall, actions and release; a customer sees its own servers and manages
their users and keys; admins see all and approve requests."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from panel.core.access import can_view, require_role
from panel.core.errors import PanelError, ValidationFailed
from panel.core.forms import run_from_button, show_errors
from panel.core.roles import Role
from panel.extensions import db
from panel.servers import firewall, forms, maintenance, operations, users
from panel.servers.loaders import (
    load_server,
    load_server_key,
    load_server_port,
    load_server_user,
    visible_servers,
)
from panel.servers.models import Server, ServerState
from panel.servers.sizes import sizes

bp = Blueprint("servers", __name__)
VIEWERS = (Role.ADMIN, Role.RESELLER, Role.CUSTOMER)
# Sizes, firewall, actions and release are the reseller's; a customer manages users and keys.
MANAGERS = (Role.ADMIN, Role.RESELLER)


def _back(server_id: int):
    return redirect(url_for("servers.server", server_id=server_id))


def _request_form(formdata=None) -> forms.ServerForm:
    form = forms.ServerForm(formdata=formdata)
    form.customer_id.choices = [
        SelectChoice(str(user.id), user.display_name or user.email)
        for user in operations.customers_of(current_user)
    ]
    form.size.choices = [
        SelectChoice(
            size.name,
            _(
                "%(name)s: %(cpus)s CPUs, %(memory)s MiB memory, %(disk)s GiB disk",
                name=size.name,
                cpus=size.cpus,
                memory=size.memory_mib,
                disk=size.disk_gib,
            ),
        )
        for size in sizes().values()
    ]
    return form


def _list(form=None, status: int = 200):
    rows = db.session.scalars(visible_servers().limit(500)).all()
    if form is None and current_user.role in MANAGERS:
        form = _request_form()
    return render_template("servers/servers.html", servers=rows, form=form), status


@bp.get("/servers")
@login_required
def servers():
    require_role(*VIEWERS)
    return _list()


@bp.post("/servers")
@login_required
def server_request():
    require_role(*MANAGERS)
    form = _request_form(request.form)
    if form.validate_on_submit():
        try:
            server, job = operations.request_server(
                current_user, form.customer_id.data, form.size.data, form.stacks.data
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            if job is None:
                flash(_("Requested; an admin allocates a host for it."), "success")
            else:
                flash(_("A host is allocated; the server is being set up."), "success")
            return _back(server.id)
    return _list(form, 422)


def _detail(server: Server, status: int = 200, **given):
    shown = {
        "user_form": forms.ServerUserForm(formdata=None),
        "key_form": forms.ServerKeyForm(formdata=None),
        "port_form": forms.ServerPortForm(formdata=None),
        "action_form": forms.ServerActionForm(formdata=None),
        "release_form": forms.ReleaseForm(formdata=None),
        **given,
    }
    size = sizes().get(server.size)
    drift = maintenance.drift_report(server)
    jobs_visible = server.last_job is not None and can_view(current_user, server.last_job)
    page = render_template(
        "servers/server.html",
        server=server,
        size=size,
        drift=drift,
        jobs_visible=jobs_visible,
        manages=current_user.role in MANAGERS,
        **shown,
    )
    return page, status


@bp.get("/servers/<int:server_id>")
@login_required
def server(server_id: int):
    return _detail(load_server(server_id))


@bp.post("/servers/<int:server_id>/approve")
@login_required
def server_approve(server_id: int):
    require_role(Role.ADMIN)
    run_from_button(operations.approve_server, load_server(server_id))
    return _back(server_id)


@bp.post("/servers/<int:server_id>/actions")
@login_required
def server_action(server_id: int):
    require_role(*MANAGERS)
    record = load_server(server_id, change=True)
    form = forms.ServerActionForm()
    if form.validate_on_submit():
        action, service = request.form.get("action"), request.form.get("service")
        run_from_button(
            maintenance.run_action, record, action, service, done=_("The job is queued.")
        )
    return _back(server_id)


@bp.post("/servers/<int:server_id>/users")
@login_required
def server_user_add(server_id: int):
    record = load_server(server_id, change=True)
    form = forms.ServerUserForm()
    return _submitted(
        record,
        "user_form",
        form,
        lambda: users.add_user(record, form.name.data, form.sudo.data, form.keys.data),
        _("User added; it can log in in a moment."),
    )


@bp.post("/server-users/<int:server_user_id>/delete")
@login_required
def server_user_delete(server_user_id: int):
    user = load_server_user(server_user_id, change=True)
    server_id = user.server_id
    _run(users.remove_user, user)
    return _back(server_id)


@bp.post("/server-users/<int:server_user_id>/keys")
@login_required
def server_key_add(server_user_id: int):
    user = load_server_user(server_user_id, change=True)
    form = forms.ServerKeyForm()
    return _submitted(
        user.server,
        "key_form",
        form,
        lambda: users.add_key(user, form.public_key.data),
        _("Key added."),
    )


@bp.post("/server-keys/<int:key_id>/delete")
@login_required
def server_key_delete(key_id: int):
    key = load_server_key(key_id, change=True)
    server_id = key.user.server_id
    _run(users.remove_key, key)
    return _back(server_id)


@bp.post("/servers/<int:server_id>/ports")
@login_required
def server_port_open(server_id: int):
    require_role(*MANAGERS)
    record = load_server(server_id, change=True)
    form = forms.ServerPortForm()
    return _submitted(
        record,
        "port_form",
        form,
        lambda: firewall.open_port(record, form.port.data, form.proto.data),
        _("The port is being opened."),
    )


@bp.post("/server-ports/<int:port_id>/delete")
@login_required
def server_port_close(port_id: int):
    require_role(*MANAGERS)
    opened = load_server_port(port_id, change=True)
    server_id = opened.server_id
    _run(firewall.close_port, opened)
    return _back(server_id)


@bp.post("/servers/<int:server_id>/release")
@login_required
def server_release(server_id: int):
    require_role(*MANAGERS)
    record = load_server(server_id, change=True)
    form = forms.ReleaseForm()

    def release() -> None:
        if form.confirm.data.strip() != record.hostname:
            message = _("Type %(name)s to confirm.", name=record.hostname)
            raise ValidationFailed.field("confirm", message)
        operations.release_server(record, form.mode.data)

    return _submitted(record, "release_form", form, release, _("The server is being released."))


def _submitted(server: Server, name: str, form, act, done: str):
    """A form of the server's page: ACT once it validates, back to the page with DONE; else
    the page again with the form's errors."""
    if form.validate_on_submit():
        try:
            act()
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(done, "success")
            return _back(server.id)
    return _detail(server, 422, **{name: form})


def _run(act, *args) -> None:
    run_from_button(act, *args, done=_("Done; the change is being made."))


def customer_servers_card(customers, **given) -> dict | None:
    """The live servers of each of the customers, for the pages that keep their accounts."""
    if not customers:
        return None
    held = db.session.scalars(
        select(Server)
        .where(
            Server.customer_id.in_([customer.id for customer in customers]),
            Server.state != ServerState.RELEASED,
        )
        .order_by(Server.id)
    ).all()
    by_customer: dict[int, list[Server]] = {}
    for server in held:
        by_customer.setdefault(server.customer_id, []).append(server)
    return {"servers": by_customer}
