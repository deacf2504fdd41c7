"""Pages for webspaces and what is in them; admins see every member's."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload, undefer
from wtforms import SelectChoice

from panel.coop.models import Member
from panel.core.access import can_change, require_role, scope_to_member
from panel.core.errors import PanelError
from panel.core.forms import run_from_button, show_errors
from panel.core.headers import no_store
from panel.core.listing import page_of
from panel.core.roles import Role
from panel.extensions import db
from panel.hosts.loaders import load_host
from panel.hosts.models import Host, HostRole
from panel.provisioning.models import JOB_SHOWN
from panel.webspaces import (
    claims,
    customers,
    databases,
    domains,
    forms,
    operations,
    sftp_users,
    upgrades,
)
from panel.webspaces.guards import member_for_new_webspace, member_id_for_number, refusal
from panel.webspaces.listing import DOMAIN_LIST, WEBSPACE_LIST
from panel.webspaces.loaders import load_database, load_domain, load_sftp_user, load_webspace
from panel.webspaces.models import Database, Domain, SftpUser, State, Webspace

bp = Blueprint("webspaces", __name__)
OWNERS = (Role.ADMIN, Role.RESELLER, Role.MEMBER)
# A customer reads the webspaces its reseller named as serving it.
READERS = (*OWNERS, Role.CUSTOMER)


def _back(webspace_id: int):
    return redirect(url_for("webspaces.webspace", webspace_id=webspace_id))


def _listed():
    """Webspaces for the list, with what each row shows loaded alongside. Member and host come
    from the joins the list sorts and searches by: joining each a second time to load it
    cost PostgreSQL more planning than the whole query's run."""
    return (
        select(Webspace)
        .join(Member, Webspace.member_id == Member.id)
        .join(Host, Webspace.host_id == Host.id)
        .options(
            contains_eager(Webspace.member),
            contains_eager(Webspace.host).load_only(Host.name),
            joinedload(Webspace.last_job).load_only(*JOB_SHOWN),
            undefer(Webspace.domain_count),
        )
    )


def _visible():
    return scope_to_member(_listed(), Webspace.member_id, viewed_by=Webspace.served_to)


def _create_form():
    if current_user.role == Role.CUSTOMER:
        return None
    if current_user.role != Role.ADMIN:
        return forms.WebspaceForm()
    form = forms.AdminWebspaceForm()
    hosts = operations.ready_hosts()
    form.host.choices = [SelectChoice("", _("the one with most room"))] + [
        SelectChoice(host.name, host.name) for host in hosts
    ]
    return form


def _list_page(form, status: int = 200):
    stmt = _visible()
    state = request.args.get("state", "")
    if state in {item.value for item in State}:
        stmt = stmt.where(Webspace.state == state)
    else:
        state = ""
    page = page_of(stmt, WEBSPACE_LIST, state=state)
    return render_template("webspaces/webspaces.html", page=page, form=form, state=state), status


@bp.get("/webspaces")
@login_required
def webspaces():
    require_role(*READERS)
    return _list_page(_create_form())


@bp.get("/domains")
@login_required
def domain_list():
    """Every domain the person may see, across their webspaces."""
    require_role(*READERS)
    listed = (
        select(Domain)
        .join(Webspace, Domain.webspace_id == Webspace.id)
        .join(Member, Webspace.member_id == Member.id)
        .options(
            contains_eager(Domain.webspace).contains_eager(Webspace.member),
            joinedload(Domain.last_job).load_only(*JOB_SHOWN),
        )
    )
    stmt = scope_to_member(listed, Webspace.member_id, viewed_by=Webspace.served_to)
    state = request.args.get("state", "")
    if state in {item.value for item in State}:
        stmt = stmt.where(Domain.state == state)
    else:
        state = ""
    page = page_of(stmt, DOMAIN_LIST, state=state)
    return render_template("webspaces/domains.html", page=page, state=state)


@bp.post("/webspaces")
@login_required
def webspace_create():
    require_role(*OWNERS)
    form = _create_form()
    if form.validate_on_submit():
        member_number = getattr(form, "member_number", None)
        host = getattr(form, "host", None)
        try:
            member_id = member_number and member_id_for_number(member_number.data)
            member = member_for_new_webspace(current_user, member_id, host and host.data)
            webspace, _job = operations.create_webspace(
                member, form.name.data, host and host.data, form.first_domain()
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Webspace %(name)s is being set up.", name=webspace.name), "success")
            return _back(webspace.id)
    return _list_page(form, 422)


# What the webspace page shows of it, each part in one statement (each item's last job with it).
DETAIL = (
    joinedload(Webspace.host),
    joinedload(Webspace.last_job).load_only(*JOB_SHOWN),
    joinedload(Webspace.customer),
    selectinload(Webspace.domains).joinedload(Domain.last_job).load_only(*JOB_SHOWN),
    selectinload(Webspace.databases).joinedload(Database.last_job).load_only(*JOB_SHOWN),
    selectinload(Webspace.sftp_users).joinedload(SftpUser.last_job).load_only(*JOB_SHOWN),
)


def _customer_form(webspace: Webspace, formdata=None) -> forms.CustomerForm:
    """The choice among the customers of the webspace's member (shown where it resells)."""
    choices = customers.customers_of(webspace.member_id)
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
            "refusals": {
                kind: refusal(webspace, limit)
                for kind, limit in (
                    ("domain", "max_domains"),
                    ("database", "max_databases"),
                    ("sftp_user", "max_users"),
                )
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
    return _detail(load_webspace(webspace_id, options=DETAIL))


def _live_state(item, webspace_id: int):
    """The state part of the webspace page (or list) for ITEM, which it fetches again while
    ITEM is on its way."""
    back = url_for("webspaces.webspace", webspace_id=webspace_id)
    return render_template("live_state.html", item=item, url=request.path, back=back)


@bp.get("/webspaces/<int:webspace_id>/state")
@login_required
def webspace_state(webspace_id: int):
    return _live_state(load_webspace(webspace_id), webspace_id)


@bp.get("/domains/<int:domain_id>/state")
@login_required
def domain_state(domain_id: int):
    domain = load_domain(domain_id)
    return _live_state(domain, domain.webspace_id)


@bp.get("/databases/<int:database_id>/state")
@login_required
def database_state(database_id: int):
    database = load_database(database_id)
    return _live_state(database, database.webspace_id)


@bp.get("/sftp-users/<int:user_id>/state")
@login_required
def sftp_user_state(user_id: int):
    user = load_sftp_user(user_id)
    return _live_state(user, user.webspace_id)


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


def host_webspaces_card(host: Host, **given) -> dict | None:
    """A webspace host's page: how many webspaces it serves, and setting them up again."""
    if host.role != HostRole.WEBSPACE:
        return None
    served = db.session.scalar(
        select(func.count(Webspace.id)).where(
            Webspace.host_id == host.id, Webspace.state.in_(upgrades.SERVED)
        )
    )
    return {"host": host, "served": served}


@bp.post("/admin/hosts/<int:host_id>/webspaces/reapply")
@login_required
def host_webspaces_reapply(host_id: int):
    """Each webspace in service on the host and its parts set up again by the current playbooks."""
    require_role(Role.ADMIN)
    host = load_host(host_id)
    jobs = upgrades.reapply(host)
    db.session.commit()
    flash(ngettext("%(num)s job queued.", "%(num)s jobs queued.", len(jobs)), "success")
    return redirect(url_for("hosts.host", host_id=host.id))


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


def _holder(user) -> bool:
    return user.role in (Role.MEMBER, Role.RESELLER) and user.member_id is not None


def _held(user):
    """The member's webspaces that are not gone."""
    return select(Webspace.id).where(
        Webspace.member_id == user.member_id, Webspace.state != State.DELETED
    )


def summary_card(user, **given) -> dict | None:
    """The dashboard's counts of a member's webspaces and their domains."""
    if not _holder(user):
        return None
    held = _held(user).subquery()
    webspaces = db.session.scalar(select(func.count()).select_from(held))
    if not webspaces:
        return None
    domains = db.session.scalar(
        select(func.count(Domain.id)).where(
            Domain.webspace_id.in_(select(held.c.id)), Domain.state != State.DELETED
        )
    )
    return {"webspaces": webspaces, "domains": domains}


def first_webspace_card(user, **given) -> dict | None:
    """The next step of a member who has no webspace yet."""
    if not _holder(user) or db.session.scalar(_held(user).limit(1)) is not None:
        return None
    return {}
