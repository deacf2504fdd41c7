"""Admin pages for the host inventory: list, add with key confirmation, detail (with the cards
other features add, e.g. its jobs), retire."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from panel.core.access import require_role
from panel.core.cards import cards
from panel.core.errors import PanelError
from panel.core.forms import show_errors
from panel.core.labels import label
from panel.core.listing import Listing, matching, page_of
from panel.core.roles import Role
from panel.hosts import forms, operations
from panel.hosts.loaders import load_host
from panel.hosts.models import Host, HostState

bp = Blueprint("hosts", __name__, url_prefix="/admin/hosts")


@bp.before_request
@login_required
def admins_only():
    require_role(Role.ADMIN)


HOST_LIST = Listing(
    sorts={"name": Host.name, "address": Host.address, "role": Host.role, "state": Host.state},
    tiebreaker=Host.id,
    search=lambda text: matching(text, (Host.name, Host.address, Host.role, Host.groups)),
)


@bp.get("")
def hosts():
    page = page_of(select(Host), HOST_LIST)
    return render_template("hosts/hosts.html", page=page, hosts=page.rows)


@bp.route("/new", methods=["GET", "POST"])
def host_new():
    """Step one reads the key the host offers; step two registers it once the admin confirms."""
    confirm = forms.HostConfirmForm()
    if confirm.fingerprint.data and confirm.validate_on_submit():
        try:
            host = operations.add_host(
                confirm.name.data,
                confirm.address.data,
                fingerprint=confirm.fingerprint.data,
                ssh_port=confirm.ssh_port.data,
                role=confirm.role.data,
                groups=confirm.groups.data,
                capacity=confirm.capacity.data,
                password=confirm.password.data or None,
            )
        except PanelError as exc:
            show_errors(confirm, exc)
            return render_template("hosts/host_new.html", form=confirm, offered=None), exc.status
        if not _onboarding_failed(host):
            flash(
                _("Host %(name)s added: %(state)s.", name=host.name, state=label(host.state)),
                "success",
            )
        return redirect(url_for("hosts.host", host_id=host.id))
    scan = forms.HostScanForm()
    if scan.validate_on_submit():
        try:
            offered = operations.scan(scan.address.data, scan.ssh_port.data)
        except PanelError as exc:
            show_errors(scan, exc)
            return render_template("hosts/host_new.html", form=scan, offered=None), 422
        confirm = forms.HostConfirmForm(formdata=None, obj=scan)
        for field in scan:
            if field.name in confirm._fields and field.name != "csrf_token":
                confirm[field.name].data = field.data
        return render_template("hosts/host_new.html", form=confirm, offered=offered)
    status = 422 if scan.errors else 200
    return render_template("hosts/host_new.html", form=scan, offered=None), status


@bp.get("/<int:host_id>")
def host(host_id: int):
    return host_page(load_host(host_id))


def host_page(record: Host, status: int = 200, **given):
    """The host's page with its cards; GIVEN goes to them (e.g. a card's form with errors)."""
    page = render_template("hosts/host.html", host=record, cards=cards("host", record, **given))
    return page, status


@bp.post("/<int:host_id>/onboard")
def host_onboard(host_id: int):
    record = operations.onboard_host(load_host(host_id))
    if not _onboarding_failed(record):
        flash(_("Host state: %(state)s", state=label(record.state)), "info")
    return redirect(url_for("hosts.host", host_id=record.id))


def _onboarding_failed(host: Host) -> bool:
    """A failed onboarding leaves the host unreachable; its page then says why in red, and no
    message of success may stand next to that."""
    return host.state == HostState.UNREACHABLE


@bp.post("/<int:host_id>/retire")
def host_retire(host_id: int):
    try:
        operations.retire_host(load_host(host_id))
    except PanelError as exc:
        flash(exc.message, "error")
    return redirect(url_for("hosts.host", host_id=host_id))
