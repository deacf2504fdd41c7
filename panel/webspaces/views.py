"""Pages for webspaces and what is in them; admins see every member's."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from panel.coop.models import Member
from panel.core.access import can_change, require_role, scope_to_member
from panel.core.errors import PanelError
from panel.core.forms import run_from_button, show_errors
from panel.core.headers import no_store
from panel.core.roles import Role
from panel.extensions import db
from panel.webspaces import claims, customers, databases, domains, forms, operations, sftp_users
from panel.webspaces.guards import member_for_new_webspace
from panel.webspaces.loaders import load_database, load_domain, load_sftp_user, load_webspace
from panel.webspaces.models import State, Webspace

bp = Blueprint("webspaces", __name__)
OWNERS = (Role.ADMIN, Role.RESELLER, Role.MEMBER)
# A customer reads the webspaces its reseller named as serving it.
READERS = (*OWNERS, Role.CUSTOMER)


def _back(webspace_id: int):
    return redirect(url_for("webspaces.webspace", webspace_id=webspace_id))


def _listed():
    """Webspaces for the list, with what each row shows loaded alongside."""
    return (
        select(Webspace)
        .options(
            joinedload(Webspace.member),
            joinedload(Webspace.host),
            joinedload(Webspace.last_job),
            selectinload(Webspace.domains),
        )
        .order_by(Webspace.name)
    )


def _visible():
    return scope_to_member(_listed(), Webspace.member_id, viewed_by=Webspace.served_to)


def _create_form():
    if current_user.role == Role.CUSTOMER:
        return None
    if current_user.role != Role.ADMIN:
        return forms.WebspaceForm()
    form = forms.AdminWebspaceForm()
    members = db.session.scalars(select(Member).order_by(Member.number)).all()
    form.member_id.choices = [
        SelectChoice(member.id, f"{member.number} {member.name}") for member in members
    ]
    hosts = operations.ready_hosts()
    form.host.choices = [SelectChoice("", _("the one with most room"))] + [
        SelectChoice(host.name, host.name) for host in hosts
    ]
    return form


@bp.get("/webspaces")
@login_required
def webspaces():
    require_role(*READERS)
    stmt = _visible()
    state = request.args.get("state", "")
    if state in {item.value for item in State}:
        stmt = stmt.where(Webspace.state == state)
    rows = db.session.scalars(stmt.limit(500)).all()
    return render_template(
        "webspaces/webspaces.html", webspaces=rows, form=_create_form(), state=state
    )


@bp.post("/webspaces")
@login_required
def webspace_create():
    require_role(*OWNERS)
    form = _create_form()
    if form.validate_on_submit():
        member_id = getattr(form, "member_id", None)
        host = getattr(form, "host", None)
        try:
            member = member_for_new_webspace(
                current_user, member_id and member_id.data, host and host.data
            )
            webspace, _job = operations.create_webspace(
                member, form.name.data, host and host.data, form.first_domain()
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Webspace %(name)s is being set up.", name=webspace.name), "success")
            return _back(webspace.id)
    rows = db.session.scalars(_visible().limit(500)).all()
    page = render_template("webspaces/webspaces.html", webspaces=rows, form=form, state="")
    return page, 422


def _customer_form(webspace: Webspace, formdata=None) -> forms.CustomerForm:
    """The choice among the customers of the webspace's member (shown where it resells)."""
    choices = customers.customers_of(webspace.member)
    form = forms.CustomerForm(formdata=formdata, customer=str(webspace.customer_user_id or ""))
    form.customer.choices = [SelectChoice("", _("none (the member's own)"))] + [
        SelectChoice(str(user.id), user.display_name or user.email) for user in choices
    ]
    return form


def _detail(webspace: Webspace, status: int = 200, **forms_given):
    # A customer the webspace serves reads the page: no forms, no buttons.
    read_only = not can_change(current_user, webspace)
    shown = {}
    if not read_only:
        shown = {
            "customer_form": _customer_form(webspace),
            "domain_form": forms.DomainForm(formdata=None),
            "database_form": forms.DatabaseForm(formdata=None),
            "sftp_user_form": forms.SftpUserForm(formdata=None),
            "records": {
                domain.id: domains.verification_record(domain) for domain in webspace.domains
            },
            **forms_given,
        }
    reasons = {domain.id: claims.shown_reason(domain) for domain in webspace.domains}
    page = render_template(
        "webspaces/webspace.html",
        webspace=webspace,
        reasons=reasons,
        read_only=read_only,
        **shown,
    )
    return page, status


@bp.get("/webspaces/<int:webspace_id>")
@login_required
def webspace(webspace_id: int):
    return _detail(load_webspace(webspace_id))


@bp.post("/webspaces/<int:webspace_id>/<any(delete, restore):change>")
@login_required
def webspace_change(webspace_id: int, change: str):
    record = load_webspace(webspace_id, change=True)
    act = {"delete": operations.delete_webspace, "restore": operations.restore_webspace}[change]
    _run(act, record)
    return _back(webspace_id)


@bp.post("/webspaces/<int:webspace_id>/<any(suspend, unsuspend, purge):change>")
@login_required
def webspace_admin_change(webspace_id: int, change: str):
    require_role(Role.ADMIN)
    record = load_webspace(webspace_id)
    act = {
        "suspend": operations.suspend_webspace,
        "unsuspend": operations.unsuspend_webspace,
        "purge": operations.purge_webspace,
    }[change]
    _run(act, record)
    return _back(webspace_id)


@bp.post("/webspaces/<int:webspace_id>/customer")
@login_required
def webspace_customer(webspace_id: int):
    record = load_webspace(webspace_id, change=True)
    form = _customer_form(record, request.form)
    if form.validate_on_submit():
        try:
            customers.assign_customer(record, form.customer.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Saved."), "success")
            return _back(webspace_id)
    return _detail(record, 422, customer_form=form)


def _run(act, *args) -> None:
    run_from_button(act, *args, done=_("Done; the change is being made."))


@bp.post("/webspaces/<int:webspace_id>/domains")
@login_required
def domain_add(webspace_id: int):
    record = load_webspace(webspace_id, change=True)
    form = forms.DomainForm()
    if form.validate_on_submit():
        try:
            _domain, job = domains.add_domain(
                record,
                form.name.data,
                www_alias=form.www_alias.data,
                tls=form.tls.data,
                redirect=form.redirect.data,
                document_root=form.document_root.data,
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            if job is None:
                flash(_("Add the TXT record shown below, then verify the domain."), "info")
            else:
                flash(_("Domain added; it goes live in a moment."), "success")
            return _back(webspace_id)
    return _detail(record, 422, domain_form=form)


@bp.post("/domains/<int:domain_id>/<any(verify, delete):change>")
@login_required
def domain_change(domain_id: int, change: str):
    domain = load_domain(domain_id, change=True)
    webspace_id = domain.webspace_id
    act = {"verify": domains.verify_domain, "delete": domains.remove_domain}[change]
    _run(act, domain)
    return _back(webspace_id)


@bp.post("/webspaces/<int:webspace_id>/databases")
@login_required
@no_store
def database_create(webspace_id: int):
    record = load_webspace(webspace_id, change=True)
    form = forms.DatabaseForm()
    if form.validate_on_submit():
        try:
            database, _job, password = databases.create_database(
                record, form.engine.data, form.name.data
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            # Shown in this answer only: a flash message would keep it in the session cookie.
            return render_template(
                "webspaces/database_created.html", database=database, password=password
            )
    return _detail(record, 422, database_form=form)


@bp.post("/databases/<int:database_id>/<any(delete, restore):change>")
@login_required
def database_change(database_id: int, change: str):
    database = load_database(database_id, change=True)
    act = {"delete": databases.delete_database, "restore": databases.restore_database}[change]
    _run(act, database)
    return _back(database.webspace_id)


@bp.post("/webspaces/<int:webspace_id>/sftp-users")
@login_required
def sftp_user_create(webspace_id: int):
    record = load_webspace(webspace_id, change=True)
    form = forms.SftpUserForm()
    if form.validate_on_submit():
        try:
            sftp_users.create_sftp_user(
                record, form.name.data, form.public_keys.data, form.chroot.data
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("User added; it can log in in a moment."), "success")
            return _back(webspace_id)
    return _detail(record, 422, sftp_user_form=form)


@bp.post("/sftp-users/<int:user_id>/delete")
@login_required
def sftp_user_delete(user_id: int):
    user = load_sftp_user(user_id, change=True)
    _run(sftp_users.remove_sftp_user, user)
    return _back(user.webspace_id)


def customer_webspaces_card(customers, **given) -> dict | None:
    """The webspaces serving each of the customers, for the pages that keep their accounts."""
    if not customers:
        return None
    served = db.session.scalars(
        select(Webspace)
        .where(Webspace.customer_user_id.in_([customer.id for customer in customers]))
        .order_by(Webspace.name)
    ).all()
    by_customer: dict[int, list[Webspace]] = {}
    for webspace in served:
        by_customer.setdefault(webspace.customer_user_id, []).append(webspace)
    return {"webspaces": by_customer}
