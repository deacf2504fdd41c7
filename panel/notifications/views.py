"""The user's notifications: the list, marking read, and the card of mail switches on the
account page."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from panel.core.access import load
from panel.core.validators import is_local_path
from panel.extensions import db
from panel.notifications import operations
from panel.notifications.forms import MailSwitchesForm, ReadForm
from panel.notifications.kinds import KIND_NAMES, kinds_for
from panel.notifications.models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
SHOWN = 100


@bp.get("")
@login_required
def notifications():
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(SHOWN)
    ).all()
    return render_template(
        "notifications/notifications.html", notifications=rows, form=ReadForm(), shown=SHOWN
    )


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    notification = load(Notification, notification_id, _l("No such notification."), change=True)
    if ReadForm().validate_on_submit():
        operations.mark_read(notification)
    if request.form.get("open") and is_local_path(notification.link):
        return redirect(notification.link)
    return redirect(url_for("notifications.notifications"))


@bp.post("/read")
@login_required
def read_all():
    if ReadForm().validate_on_submit():
        operations.mark_all_read(current_user)
    return redirect(url_for("notifications.notifications"))


@bp.post("/mail")
@login_required
def mail_switches():
    form = MailSwitchesForm()
    if form.validate_on_submit():
        operations.set_mailed_kinds(current_user, request.form.getlist("kinds"))
        flash(_("Saved."), "success")
    return redirect(url_for("accounts.account"))


def mail_switches_card(user, **given) -> dict:
    """The account page's card: which kinds of notification come by mail too."""
    return {
        "form": MailSwitchesForm(),
        "kinds": [(str(kind), KIND_NAMES[kind]) for kind in kinds_for(user.role)],
        "mailed": operations.mailed_kinds(user),
    }


def unread_notifications() -> int:
    """For the navigation: the signed-in user's unread notifications."""
    if not current_user.is_authenticated:
        return 0
    # Every page asks, error pages too: it must neither flush a failed change the page reports
    # nor fail that page when the session is broken.
    try:
        with db.session.no_autoflush:
            return operations.unread_count(current_user)
    except SQLAlchemyError:
        return 0
