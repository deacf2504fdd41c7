"""The resolutions as members see them: list, text, discussion, proxy, ballot, result."""

from io import BytesIO

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from panel.coop.loaders import member_by_number
from panel.core.errors import Forbidden, NotFound, PanelError, ValidationFailed
from panel.core.forms import id_choice, query_text, run_from_button, show_errors
from panel.core.headers import no_store
from panel.core.listing import Listing, matching, page_of
from panel.extensions import db
from panel.governance import discussion, forms, operations, phases
from panel.governance.loaders import load_item, load_resolution, require_governance
from panel.governance.models import (
    Attachment,
    ItemKind,
    Participation,
    Phase,
    Proxy,
    Resolution,
    ResolutionItem,
)
from panel.governance.pages import resolution_context

bp = Blueprint("governance", __name__)

RESOLUTION_LIST = Listing(
    sorts={
        "voting": Resolution.voting_from,
        "title": Resolution.title,
        "phase": Resolution.phase,
    },
    tiebreaker=Resolution.id,
    search=lambda text: matching(text, (Resolution.title,)),
    direction="desc",
    page_size=25,
)
# Longer than any receipt: a longer search finds nothing, as it should.
MAX_RECEIPT = 64


def _amendment(resolution: Resolution, item_id: int) -> ResolutionItem:
    item = load_item(resolution, item_id)
    if item.kind != ItemKind.AMENDMENT:
        raise NotFound(_l("No such amendment."))
    return item


def _acting_member():
    """The signed-in person's own member: nobody acts for another member on these pages."""
    member = current_user.member
    if member is None:
        raise Forbidden(_l("Your account belongs to no member of the cooperative."))
    return member


def _back(resolution: Resolution, anchor: str):
    return redirect(url_for("governance.resolution", resolution_id=resolution.id, _anchor=anchor))


@bp.get("/resolutions")
@login_required
def resolutions():
    require_governance()
    phases.catch_up_all()
    page = page_of(select(Resolution).where(Resolution.phase != Phase.DRAFT), RESOLUTION_LIST)
    voted: set[int] = set()
    if current_user.member_id is not None and page.rows:
        voted = set(
            db.session.scalars(
                select(Participation.resolution_id).where(
                    Participation.member_id == current_user.member_id,
                    Participation.resolution_id.in_([row.id for row in page.rows]),
                )
            )
        )
    return render_template("governance/resolutions.html", page=page, voted=voted)


def _page(resolution: Resolution, status: int = 200, **given):
    context = resolution_context(
        resolution, current_user.member, query_text("receipt", MAX_RECEIPT), given
    )
    return render_template("governance/resolution.html", **context), status


@bp.get("/resolutions/<int:resolution_id>")
@login_required
@no_store  # it may show the person's own receipt or open choices
def resolution(resolution_id: int):
    record = load_resolution(resolution_id)
    cast = request.args.get("cast", "")
    if not cast or record.phase != Phase.VOTING:
        return _page(record)
    principal = None if cast == "own" else _principal(record, cast)
    receipt = operations.my_receipt(record, principal or _acting_member())
    return _page(record, receipt=receipt, receipt_for=principal)


@bp.post("/resolutions/<int:resolution_id>/comments")
@login_required
def comment(resolution_id: int):
    record = load_resolution(resolution_id)
    form = forms.CommentForm()
    if not form.validate_on_submit():
        return _page(record, 422, comment_form=form)
    try:
        discussion.add_comment(record, current_user, form.text.data)
    except PanelError as exc:
        show_errors(form, exc)
        return _page(record, exc.status, comment_form=form)
    flash(_("Your comment is published."), "success")
    return _back(record, "comments")


@bp.post("/resolutions/<int:resolution_id>/amendments")
@login_required
def amendment_propose(resolution_id: int):
    record = load_resolution(resolution_id)
    form = forms.AmendmentForm()
    if not form.validate_on_submit():
        return _page(record, 422, amendment_form=form)
    try:
        discussion.propose_amendment(record, _acting_member(), form.title.data, form.text.data)
    except PanelError as exc:
        show_errors(form, exc)
        return _page(record, exc.status, amendment_form=form)
    flash(_("Your amendment is proposed; enough supporters put it to the vote."), "success")
    return _back(record, "amendments")


AMENDMENT_ACTIONS = {
    "support": (discussion.support_amendment, _l("You support this amendment.")),
    "unsupport": (discussion.withdraw_support, _l("You no longer support this amendment.")),
    "withdraw": (discussion.withdraw_amendment, _l("The amendment is withdrawn.")),
}


@bp.post(
    "/resolutions/<int:resolution_id>/amendments/<int:item_id>/"
    "<any(support, unsupport, withdraw):change>"
)
@login_required
def amendment_change(resolution_id: int, item_id: int, change: str):
    record = load_resolution(resolution_id)
    item = _amendment(record, item_id)
    if forms.ActionForm().validate_on_submit():
        act, done = AMENDMENT_ACTIONS[change]
        run_from_button(lambda: act(item, _acting_member()), done=str(done))
    return _back(record, "amendments")


@bp.post("/resolutions/<int:resolution_id>/proxy")
@login_required
def proxy_authorise(resolution_id: int):
    record = load_resolution(resolution_id)
    form = forms.ProxyForm()
    if not form.validate_on_submit():
        return _page(record, 422, proxy_form=form)
    proxy = member_by_number(form.proxy_member.data)
    try:
        if proxy is None:
            raise ValidationFailed.field("proxy_member", _l("No member has this number."))
        operations.authorise_proxy(record, _acting_member(), proxy)
    except PanelError as exc:
        show_errors(form, exc)
        return _page(record, exc.status, proxy_form=form)
    flash(_("%(name)s may now vote for you on this resolution.", name=proxy.name), "success")
    return _back(record, "proxy")


@bp.post("/resolutions/<int:resolution_id>/proxy/revoke")
@login_required
def proxy_revoke(resolution_id: int):
    record = load_resolution(resolution_id)
    if forms.ActionForm().validate_on_submit():
        run_from_button(
            lambda: operations.revoke_proxy(_given_proxy(record)), done=_("Your proxy is revoked.")
        )
    return _back(record, "proxy")


def _given_proxy(resolution: Resolution) -> Proxy:
    proxy = operations.proxy_of(resolution, _acting_member())
    if proxy is None:
        raise NotFound(_l("You have not authorised a proxy for this resolution."))
    return proxy


def _principal(resolution: Resolution, text: str):
    """The member the signed-in member votes for as its proxy (None: for itself)."""
    if not text:
        return None
    member = _acting_member()
    try:
        principal_id = id_choice(text)
    except ValueError:
        principal_id = None
    proxy = db.session.scalar(
        select(Proxy).where(
            Proxy.resolution_id == resolution.id,
            Proxy.proxy_id == member.id,
            Proxy.principal_id == principal_id,
        )
    )
    if principal_id is None or proxy is None:
        raise Forbidden(_l("You do not hold a proxy of this member for this resolution."))
    return proxy.principal


@bp.post("/resolutions/<int:resolution_id>/ballot")
@login_required
@no_store
def ballot(resolution_id: int):
    record = load_resolution(resolution_id)
    principal = _principal(record, request.form.get("principal", "").strip())
    items = operations.ballot_items(record)
    form = forms.ballot_form(items, principal.id if principal else None)
    ballots = {principal.id if principal else None: form}
    if not form.validate_on_submit():
        return _page(record, 422, ballots=ballots)
    try:
        operations.cast_ballot(
            record, _acting_member(), forms.chosen(form, items), on_behalf_of=principal
        )
    except PanelError as exc:
        show_errors(form, exc)
        return _page(record, exc.status, ballots=ballots)
    # Redirected, so that reloading the page shows the receipt again instead of voting anew
    # (which would change the receipt just noted). The receipt itself stays out of the
    # address, the session and flash messages: the page unseals it for the voter.
    cast = principal.id if principal else "own"
    return redirect(
        url_for("governance.resolution", resolution_id=record.id, cast=cast, _anchor="receipt"),
        303,
    )


@bp.get("/resolutions/<int:resolution_id>/attachments/<int:attachment_id>")
@login_required
def attachment(resolution_id: int, attachment_id: int):
    record = load_resolution(resolution_id)
    document = db.session.get(Attachment, attachment_id)
    if document is None or document.resolution_id != record.id:
        raise NotFound(_l("No such attachment."))
    response = Response(document.content, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "attachment", filename=document.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/resolutions/<int:resolution_id>/minutes.pdf")
@login_required
def minutes(resolution_id: int):
    # weasyprint loads Pango when imported: only where a PDF is made, not in every process.
    from panel.governance import minutes as minutes_document

    record = load_resolution(resolution_id)
    return send_file(
        BytesIO(minutes_document.minutes_pdf(record)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"resolution-{record.id}-minutes.pdf",
    )
