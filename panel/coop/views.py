"""The member register (admin) and one's own membership."""

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from panel.coop import forms, notices, operations
from panel.coop.loaders import load_member, load_share_transaction
from panel.coop.models import Member, MemberStatus
from panel.core.access import require_role
from panel.core.errors import PanelError
from panel.core.forms import show_errors
from panel.core.labels import label
from panel.core.listing import Listing, matching, page_of
from panel.core.roles import Role
from panel.extensions import db

bp = Blueprint("coop", __name__)

STATUS_CHANGES = {
    "admit": operations.admit_member,
    "cancel": operations.cancel_membership,
    "end": operations.end_membership,
}


def _contact_data(form: forms.ContactForm) -> dict:
    return {
        name: getattr(form, name).data or ""
        for name in operations.CONTACT_LIMITS
        if hasattr(form, name)
    }


def own_member() -> Member:
    """The member record of the signed-in user; 404 for those without one (admins)."""
    member = current_user.member
    if member is None:
        abort(404)
    return member


def membership_page(member: Member, status: int = 200, **forms_override):
    context = {
        "form": forms.ContactForm(obj=member),
        "subscribe_form": forms.SubscribeForm(),
        "notice_form": forms.ShareNoticeForm(),
    }
    context.update(forms_override)
    return render_template(
        "coop/membership.html",
        member=member,
        share_value=operations.share_value(),
        notices=notices.pending_notices(member),
        today=date.today(),
        **context,
    ), status


@bp.route("/membership", methods=["GET", "POST"])
@login_required
def membership():
    member = own_member()
    form = forms.ContactForm(obj=member)
    if not form.is_submitted():
        return membership_page(member)
    if not form.validate():
        return membership_page(member, 422, form=form)
    try:
        operations.update_member(member, _contact_data(form))
    except PanelError as exc:
        show_errors(form, exc)
        return membership_page(member, exc.status, form=form)
    flash(_("Saved."), "success")
    return redirect(url_for("coop.membership"))


MEMBER_LIST = Listing(
    sorts={
        "number": Member.number,
        "name": Member.name,
        "prefix": Member.prefix,
        "status": Member.status,
        "shares": Member.share_count,
    },
    tiebreaker=Member.id,
    search=lambda text: matching(text, (Member.name, Member.email, Member.number, Member.prefix)),
)


@bp.get("/admin/members")
@login_required
def members():
    require_role(Role.ADMIN)
    stmt = select(Member)
    status = request.args.get("status", "")
    if status in {item.value for item in MemberStatus}:
        stmt = stmt.where(Member.status == status)
    else:
        status = ""
    page = page_of(stmt, MEMBER_LIST, status=status)
    if page.q:
        stmt = stmt.where(MEMBER_LIST.search(page.q))
    # The register's total over every member the filters find, not only this page's.
    total_shares = db.session.scalar(
        stmt.with_only_columns(func.coalesce(func.sum(Member.share_count), 0))
    )
    return render_template(
        "coop/members.html",
        page=page,
        status=status,
        total_shares=total_shares,
        share_value=operations.share_value(),
    )


@bp.get("/admin/members.csv")
@login_required
def members_csv():
    require_role(Role.ADMIN)
    rows = db.session.scalars(select(Member).order_by(Member.number)).all()
    # The byte order mark makes spreadsheets read the file as UTF-8 (umlauts in names).
    return Response(
        "\ufeff" + operations.register_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=members-{date.today()}.csv"},
    )


@bp.route("/admin/members/new", methods=["GET", "POST"])
@login_required
def member_new():
    require_role(Role.ADMIN)
    form = forms.MemberForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                member = operations.create_member(
                    prefix=form.prefix.data,
                    kind=form.kind.data,
                    admit=bool(form.admit.data),
                    **_contact_data(form),
                )
            except PanelError as exc:
                show_errors(form, exc)
                status = exc.status
            else:
                flash(_("Member %(number)s created.", number=member.number), "success")
                return redirect(url_for("coop.member", member_id=member.id))
    return render_template("coop/member_new.html", form=form), status


def _member_page(member: Member, status: int = 200, **forms_override):
    context = {
        "contact_form": forms.OfficeContactForm(obj=member),
        "share_form": forms.ShareForm(value_date=date.today()),
        "date_form": forms.DateForm(),
    }
    context.update(forms_override)
    return render_template(
        "coop/member.html",
        member=member,
        share_value=operations.share_value(),
        notices=notices.pending_notices(member),
        status_changes=STATUS_CHANGES,
        **context,
    ), status


@bp.get("/admin/members/<int:member_id>")
@login_required
def member(member_id: int):
    require_role(Role.ADMIN)
    return _member_page(load_member(member_id))


@bp.post("/admin/members/<int:member_id>/contact")
@login_required
def member_contact(member_id: int):
    require_role(Role.ADMIN)
    record = load_member(member_id, change=True)
    form = forms.OfficeContactForm()
    if not form.validate_on_submit():
        return _member_page(record, 422, contact_form=form)
    try:
        operations.update_member(record, _contact_data(form))
    except PanelError as exc:
        show_errors(form, exc)
        return _member_page(record, exc.status, contact_form=form)
    flash(_("Saved."), "success")
    return redirect(url_for("coop.member", member_id=record.id))


@bp.post("/admin/members/<int:member_id>/<any(admit, cancel, end):change>")
@login_required
def member_status(member_id: int, change: str):
    require_role(Role.ADMIN)
    record = load_member(member_id, change=True)
    form = forms.DateForm()
    if not form.validate_on_submit():
        return _member_page(record, 422, date_form=form)
    try:
        STATUS_CHANGES[change](record, form.on.data)
    except PanelError as exc:
        show_errors(form, exc)
        return _member_page(record, exc.status, date_form=form)
    flash(_("Status is now: %(status)s", status=label(record.status)), "success")
    return redirect(url_for("coop.member", member_id=record.id))


@bp.post("/admin/members/<int:member_id>/shares")
@login_required
def member_shares(member_id: int):
    require_role(Role.ADMIN)
    record = load_member(member_id, change=True)
    form = forms.ShareForm()
    if not form.validate_on_submit():
        return _member_page(record, 422, share_form=form)
    try:
        operations.record_share_transaction(
            record, form.kind.data, form.count.data, form.value_date.data, form.note.data
        )
    except PanelError as exc:
        show_errors(form, exc)
        return _member_page(record, exc.status, share_form=form)
    flash(_("Booked."), "success")
    return redirect(url_for("coop.member", member_id=record.id))


@bp.post("/admin/shares/<int:transaction_id>/reverse")
@login_required
def share_reverse(transaction_id: int):
    require_role(Role.ADMIN)
    transaction = load_share_transaction(transaction_id, change=True)
    form = forms.DateForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            flash(" ".join(messages), "error")
        return _member_page(transaction.member, 422)
    try:
        operations.reverse_share_transaction(transaction, form.on.data)
    except PanelError as exc:
        flash(exc.message, "error")
        return _member_page(transaction.member, exc.status)
    flash(_("Reversed."), "success")
    return redirect(url_for("coop.member", member_id=transaction.member_id))


def members_by_status_card(user, **given) -> dict | None:
    """The dashboard's card for admins: how many members are in each status."""
    if user.role != Role.ADMIN:
        return None
    counts = select(Member.status, db.func.count()).group_by(Member.status)
    return {"member_counts": dict(db.session.execute(counts).all())}


def own_membership_card(user, **given) -> dict | None:
    """The dashboard's card of the member record the user belongs to (not for admins)."""
    if user.role == Role.ADMIN or user.member is None:
        return None
    return {"member": user.member}
