"""Subscribing shares, notice on shares and of membership (the member's own page), and the
office's list of pending notices and open payouts."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from panel.coop import forms, notices, settlement
from panel.coop.loaders import load_payout, load_share_notice
from panel.coop.views import membership_page, own_member
from panel.core.access import require_role
from panel.core.errors import PanelError
from panel.core.formats import format_day
from panel.core.forms import show_errors
from panel.core.roles import Role

bp = Blueprint("shares", __name__)


@bp.post("/membership/shares")
@login_required
def subscribe():
    member = own_member()
    form = forms.SubscribeForm()
    if not form.validate_on_submit():
        return membership_page(member, 422, subscribe_form=form)
    try:
        notices.subscribe_shares(member, form.count.data)
    except PanelError as exc:
        show_errors(form, exc)
        return membership_page(member, exc.status, subscribe_form=form)
    count = form.count.data
    flash(ngettext("%(num)s share subscribed.", "%(num)s shares subscribed.", count), "success")
    return redirect(url_for("coop.membership"))


@bp.post("/membership/notices")
@login_required
def give_notice():
    member = own_member()
    form = forms.ShareNoticeForm()
    if not form.validate_on_submit():
        return membership_page(member, 422, notice_form=form)
    try:
        notice = notices.give_share_notice(member, form.count.data)
    except PanelError as exc:
        show_errors(form, exc)
        return membership_page(member, exc.status, notice_form=form)
    flash(
        ngettext(
            "Notice on %(num)s share given; it takes effect on %(date)s.",
            "Notice on %(num)s shares given; it takes effect on %(date)s.",
            notice.count,
            date=format_day(notice.effective_on),
        ),
        "success",
    )
    return redirect(url_for("coop.membership"))


@bp.post("/membership/notices/<int:notice_id>/withdraw")
@login_required
def withdraw_notice(notice_id: int):
    member = own_member()
    notice = load_share_notice(notice_id, change=True)
    if not forms.ConfirmForm().validate_on_submit():
        return membership_page(member, 422)
    try:
        notices.withdraw_share_notice(notice)
    except PanelError as exc:
        flash(exc.message, "error")
        return membership_page(member, exc.status)
    flash(_("Notice withdrawn."), "success")
    return redirect(url_for("coop.membership"))


@bp.post("/membership/leave")
@login_required
def leave():
    member = own_member()
    if not forms.ConfirmForm().validate_on_submit():
        return membership_page(member, 422)
    try:
        notice = notices.give_membership_notice(member)
    except PanelError as exc:
        flash(exc.message, "error")
        return membership_page(member, exc.status)
    flash(
        _(
            "Notice of membership given; your membership ends on %(date)s.",
            date=format_day(notice.effective_on),
        ),
        "success",
    )
    return redirect(url_for("coop.membership"))


def _share_notices_page(status: int = 200):
    return render_template(
        "coop/share_notices.html",
        notices=settlement.pending_notices_of_all(),
        payouts=settlement.open_payouts(),
    ), status


@bp.get("/admin/share-notices")
@login_required
def share_notices():
    require_role(Role.ADMIN)
    return _share_notices_page()


@bp.post("/admin/share-payouts/<int:payout_id>/paid")
@login_required
def payout_paid(payout_id: int):
    require_role(Role.ADMIN)
    payout = load_payout(payout_id, change=True)
    form = forms.PaidForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            flash(" ".join(messages), "error")
        return _share_notices_page(422)
    try:
        settlement.mark_payout_paid(payout, form.paid_on.data)
    except PanelError as exc:
        flash(exc.message, "error")
        return _share_notices_page(exc.status)
    flash(_("Payout marked paid."), "success")
    return redirect(url_for("shares.share_notices"))
