"""The board's side of resolutions: drafting, attachments, announcing, minutes."""

from io import BytesIO

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from panel.coop.models import Member
from panel.core.access import require_role
from panel.core.errors import NotFound, PanelError
from panel.core.forms import run_from_button, show_errors
from panel.core.listing import Listing, matching, page_of
from panel.core.roles import Role
from panel.extensions import db
from panel.governance import attachments, markdown, operations, phases
from panel.governance.admin_forms import MAJORITY_NAMES, AttachmentForm, ResolutionForm
from panel.governance.loaders import load_resolution
from panel.governance.models import (
    AmendmentSupport,
    Attachment,
    ItemKind,
    Participation,
    Phase,
    Resolution,
)

bp = Blueprint("governance_admin", __name__)

RESOLUTION_LIST = Listing(
    sorts={
        "voting_until": Resolution.voting_until,
        "title": Resolution.title,
        "phase": Resolution.phase,
    },
    tiebreaker=Resolution.id,
    search=lambda text: matching(text, (Resolution.title,)),
    direction="desc",
)
# Multipart framing around the file: the form's other fields and the part headers.
UPLOAD_OVERHEAD = 64 * 1024


def _resolution(resolution_id: int) -> Resolution:
    return load_resolution(resolution_id, change=True)


def _attachment(resolution: Resolution, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.resolution_id != resolution.id:
        raise NotFound(_l("No such attachment."))
    return attachment


def _detail(resolution_id: int):
    return redirect(url_for("governance_admin.resolution", resolution_id=resolution_id))


@bp.get("/admin/resolutions")
@login_required
def resolutions():
    require_role(Role.ADMIN)
    phases.catch_up_all()
    page = page_of(select(Resolution), RESOLUTION_LIST)
    return render_template("governance/admin_list.html", page=page)


def _edit_page(form: ResolutionForm, resolution: Resolution | None, status: int = 200):
    # Server-side, so that the preview shows exactly what the members will see.
    preview = markdown.render(form.text.data or "") if "preview" in request.form else None
    return render_template(
        "governance/admin_form.html",
        form=form,
        resolution=resolution,
        preview=preview,
        zone=str(get_timezone()),
    ), status


def _save(form: ResolutionForm, resolution: Resolution | None):
    """Preview, or save the draft (a new one, or RESOLUTION changed) and go to its page."""
    if "preview" in request.form:
        return _edit_page(form, resolution)
    if not form.validate():
        return _edit_page(form, resolution, 422)
    try:
        if resolution is None:
            resolution = operations.draft_resolution(form.data_for_operation())
        else:
            operations.update_resolution(resolution, form.data_for_operation())
    except PanelError as exc:
        show_errors(form, exc)
        return _edit_page(form, resolution, exc.status)
    flash(_("Draft saved."), "success")
    return _detail(resolution.id)


@bp.route("/admin/resolutions/new", methods=["GET", "POST"])
@login_required
def resolution_new():
    require_role(Role.ADMIN)
    form = ResolutionForm()
    if form.is_submitted():
        return _save(form, None)
    form.min_supporters.data = current_app.config["GOVERNANCE_MIN_SUPPORTERS"]
    return _edit_page(form, None)


@bp.route("/admin/resolutions/<int:resolution_id>/edit", methods=["GET", "POST"])
@login_required
def resolution_edit(resolution_id: int):
    resolution = _resolution(resolution_id)
    if resolution.phase != Phase.DRAFT:
        flash(_("Only a draft can be changed."), "error")
        return _detail(resolution.id)
    form = ResolutionForm()
    if form.is_submitted():
        return _save(form, resolution)
    form.fill(resolution)
    return _edit_page(form, resolution)


@bp.get("/admin/resolutions/<int:resolution_id>")
@login_required
def resolution(resolution_id: int):
    return _resolution_page(_resolution(resolution_id))


def _resolution_page(resolution: Resolution, status: int = 200, **given):
    closed = resolution.phase == Phase.CLOSED
    return render_template(
        "governance/admin_resolution.html",
        resolution=resolution,
        attachment_form=given.get("attachment_form") or AttachmentForm(),
        participants=db.session.scalar(
            select(func.count()).where(Participation.resolution_id == resolution.id)
        ),
        amendments=_amendments(resolution),
        result=operations.tally(resolution) if closed else None,
        attachment_limit=attachments.size_limit() // attachments.MEBIBYTE,
        majority_names=MAJORITY_NAMES,
    ), status


def _amendments(resolution: Resolution) -> list[tuple]:
    """Each amendment with the names of its supporters."""
    rows = []
    for item in resolution.items:
        if item.kind != ItemKind.AMENDMENT:
            continue
        supporters = db.session.scalars(
            select(Member.name)
            .join(AmendmentSupport, AmendmentSupport.member_id == Member.id)
            .where(AmendmentSupport.item_id == item.id)
            .order_by(Member.name)
        ).all()
        proposer = db.session.get(Member, item.member_id) if item.member_id else None
        rows.append((item, proposer, supporters))
    return rows


@bp.post("/admin/resolutions/<int:resolution_id>/announce")
@login_required
def resolution_announce(resolution_id: int):
    resolution = _resolution(resolution_id)
    run_from_button(
        operations.announce_resolution,
        resolution,
        done=_("Announced: the members see the resolution and get mail as its phases open."),
    )
    return _detail(resolution.id)


@bp.post("/admin/resolutions/<int:resolution_id>/delete")
@login_required
def resolution_delete(resolution_id: int):
    resolution = _resolution(resolution_id)
    try:
        operations.delete_draft(resolution)
    except PanelError as exc:
        flash(exc.message, "error")
        return _detail(resolution_id)
    flash(_("Draft deleted."), "success")
    return redirect(url_for("governance_admin.resolutions"))


@bp.post("/admin/resolutions/<int:resolution_id>/attachments")
@login_required
def attachment_add(resolution_id: int):
    resolution = _resolution(resolution_id)
    # Refuse a far too large upload before it is read, with the limit in the message.
    request.max_content_length = attachments.size_limit() + UPLOAD_OVERHEAD
    try:
        form = AttachmentForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = AttachmentForm(formdata=None)
        form.file.errors = [str(attachments.too_large())]
        return _resolution_page(resolution, 413, attachment_form=form)
    if not valid:
        return _resolution_page(resolution, 422, attachment_form=form)
    upload = form.file.data
    try:
        attachments.add_attachment(resolution, upload.filename or "", upload.read())
    except PanelError as exc:
        show_errors(form, exc)
        return _resolution_page(resolution, exc.status, attachment_form=form)
    flash(_("Attachment added."), "success")
    return _detail(resolution.id)


@bp.get("/admin/resolutions/<int:resolution_id>/attachments/<int:attachment_id>")
@login_required
def attachment_download(resolution_id: int, attachment_id: int):
    attachment = _attachment(_resolution(resolution_id), attachment_id)
    return _pdf(attachment.content, attachment.filename)


@bp.post("/admin/resolutions/<int:resolution_id>/attachments/<int:attachment_id>/remove")
@login_required
def attachment_remove(resolution_id: int, attachment_id: int):
    resolution = _resolution(resolution_id)
    attachment = _attachment(resolution, attachment_id)
    run_from_button(attachments.remove_attachment, attachment, done=_("Attachment removed."))
    return _detail(resolution.id)


@bp.get("/admin/resolutions/<int:resolution_id>/minutes.pdf")
@login_required
def minutes_pdf(resolution_id: int):
    # weasyprint loads Pango when imported: only where a PDF is made, not in every process.
    from panel.governance import minutes

    resolution = _resolution(resolution_id)
    return _pdf(minutes.minutes_pdf(resolution), f"resolution-{resolution.id}-minutes.pdf")


def _pdf(data: bytes, name: str) -> Response:
    # send_file writes a name beyond ASCII as RFC 6266 filename* as well.
    return send_file(
        BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name
    )
