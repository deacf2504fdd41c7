"""Billing pages: the office's periods, pools and runs; members' invoices, each line explained;
the transparency page: the cooperative's costs, how they were covered, the money invoiced and
collected and the usage shared by, for every member to see."""

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from panel.billing import einvoice, forms, keys, operations, transparency
from panel.billing.coverage import coverage
from panel.billing.customers import customer_shares
from panel.billing.keys import LABELS, unit_word
from panel.billing.loaders import load_invoice, load_period, load_pool, visible_invoices
from panel.billing.models import BillingPeriod, Invoice, InvoiceKind, InvoiceState
from panel.coop.models import Member
from panel.core.access import require_role
from panel.core.errors import NotFound, PanelError
from panel.core.forms import run_from_button, show_errors
from panel.core.listing import Listing, matching, page_of
from panel.core.roles import Role
from panel.extensions import db
from panel.metering import charts

bp = Blueprint("billing", __name__)
MEMBERS = (Role.ADMIN, Role.RESELLER, Role.MEMBER)


def _periods_page(form, status: int = 200):
    periods = db.session.scalars(select(BillingPeriod).order_by(BillingPeriod.month.desc()))
    return render_template("billing/periods.html", periods=periods.all(), form=form), status


@bp.get("/admin/billing")
@login_required
def periods():
    require_role(Role.ADMIN)
    form = forms.PeriodForm(formdata=None, vat_percent=current_app.config["VAT_PERCENT"])
    return _periods_page(form)


@bp.post("/admin/billing")
@login_required
def period_open():
    require_role(Role.ADMIN)
    form = forms.PeriodForm()
    if form.validate_on_submit():
        try:
            period = operations.open_period(
                form.month.data,
                form.membership_fee.data,
                form.reserve_percent.data,
                form.vat_percent.data,
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            return redirect(url_for("billing.period", period_id=period.id))
    return _periods_page(form, 422)


def _period_page(period: BillingPeriod, pool_form=None, status: int = 200):
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.period_id == period.id).order_by(Invoice.id)
    ).all()
    return render_template(
        "billing/period.html",
        period=period,
        pool_form=pool_form or forms.PoolForm(formdata=None),
        coverage=coverage(period, issued_only=False),
        invoices=invoices,
        labels=LABELS,
        drafts=sum(1 for invoice in invoices if invoice.state == InvoiceState.DRAFT),
    ), status


@bp.get("/admin/billing/<int:period_id>")
@login_required
def period(period_id: int):
    require_role(Role.ADMIN)
    return _period_page(load_period(period_id))


@bp.post("/admin/billing/<int:period_id>/pools")
@login_required
def pool_add(period_id: int):
    require_role(Role.ADMIN)
    period = load_period(period_id)
    form = forms.PoolForm()
    if form.validate_on_submit():
        try:
            operations.add_pool(period, form.name.data, form.amount.data, form.key.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            return redirect(url_for("billing.period", period_id=period.id))
    return _period_page(period, form, 422)


@bp.post("/admin/billing/pools/<int:pool_id>/delete")
@login_required
def pool_remove(pool_id: int):
    require_role(Role.ADMIN)
    pool = load_pool(pool_id)
    period_id = pool.period_id
    run_from_button(operations.remove_pool, pool)
    return redirect(url_for("billing.period", period_id=period_id))


@bp.post("/admin/billing/<int:period_id>/<any(run, cancel, issue, close):change>")
@login_required
def period_change(period_id: int, change: str):
    require_role(Role.ADMIN)
    period = load_period(period_id)
    act = {
        "run": operations.run_period,
        "cancel": operations.cancel_drafts,
        "issue": operations.issue,
        "close": operations.close_period,
    }[change]
    result = run_from_button(act, period)
    if change == "run" and result is not None:
        flash(_("%(count)s draft invoices made.", count=len(result.created)), "success")
        for pool in result.unallocated:
            flash(_("No usage of its key: %(pool)s is not shared out.", pool=pool.name), "error")
    return redirect(url_for("billing.period", period_id=period.id))


def _invoice_search(text: str):
    """The invoice's number, or its member's number or name (a member finds only its own)."""
    return matching(text, (Invoice.number, Member.number, Member.name))


INVOICE_LIST = Listing(
    sorts={
        "id": Invoice.id,
        "number": Invoice.number,
        "month": BillingPeriod.month,
        "member": Member.number,
        "kind": Invoice.kind,
        "gross": Invoice.gross,
    },
    tiebreaker=Invoice.id,
    search=_invoice_search,
    direction="desc",
)


@bp.get("/invoices")
@login_required
def invoices():
    require_role(*MEMBERS)
    stmt = (
        visible_invoices()
        .join(BillingPeriod, Invoice.period_id == BillingPeriod.id)
        .join(Member, Invoice.member_id == Member.id)
        .options(contains_eager(Invoice.period))
    )
    page = page_of(stmt, INVOICE_LIST)
    return render_template("billing/invoices.html", page=page)


@bp.get("/invoices/<int:invoice_id>")
@login_required
def invoice(invoice_id: int):
    invoice = load_invoice(invoice_id)
    return _invoice_page(invoice, forms.CorrectionForm(formdata=None))


def _invoice_page(invoice: Invoice, form, status: int = 200):
    page = render_template(
        "billing/invoice.html",
        invoice=invoice,
        lines=invoice.line_values,
        labels=LABELS,
        customers=customer_shares(invoice),
        form=form,
    )
    return page, status


def _issued(invoice_id: int) -> Invoice:
    invoice = load_invoice(invoice_id)
    if invoice.state != InvoiceState.ISSUED:
        raise NotFound(_("Documents exist for issued invoices only."))
    return invoice


@bp.get("/invoices/<int:invoice_id>.pdf")
@login_required
def invoice_pdf(invoice_id: int):
    """The invoice as PDF/A-3 with its Factur-X (ZUGFeRD) XML inside."""
    # weasyprint loads Pango when imported: only where a PDF is made, not in every process.
    from panel.billing import pdf

    invoice = _issued(invoice_id)
    return _download(pdf.invoice_pdf(invoice), "application/pdf", f"{invoice.number}.pdf")


@bp.get("/invoices/<int:invoice_id>.xml")
@login_required
def invoice_xrechnung(invoice_id: int):
    """The invoice as XRechnung (CII) XML alone."""
    invoice = _issued(invoice_id)
    return _download(einvoice.xrechnung_xml(invoice), "application/xml", f"{invoice.number}.xml")


def _download(data: bytes, mimetype: str, name: str) -> Response:
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.post("/admin/invoices/<int:invoice_id>/correct")
@login_required
def invoice_correct(invoice_id: int):
    require_role(Role.ADMIN)
    invoice = load_invoice(invoice_id)
    form = forms.CorrectionForm()
    if form.validate_on_submit():
        try:
            draft = operations.correct(invoice, form.amount.data, form.description.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            return redirect(url_for("billing.invoice", invoice_id=draft.id))
    return _invoice_page(invoice, form, 422)


@bp.get("/costs")
def costs():
    """The cost page's old address, kept for bookmarks and links in older mails."""
    return redirect(url_for("billing.transparency_page"))


@bp.get("/transparency")
@login_required
def transparency_page():
    """Every member sees the cooperative's costs per closed month, how they were covered, the
    money invoiced and collected, and the usage they were shared by."""
    require_role(*MEMBERS)
    months = transparency.closed_months()
    money = [
        (_("Costs"), lambda month: month.costs),
        (_("Invoiced"), lambda month: month.invoiced),
        (_("Collected"), lambda month: month.collected),
    ]
    usage = [
        (_("%(key)s in %(unit)s", key=LABELS[key], unit=unit_word(keys.unit(key))), bars)
        for key, bars in transparency.usage_bars(months).items()
    ]
    return render_template(
        "billing/transparency.html",
        months=months,
        money_charts=[
            (label, charts.chart(transparency.bars(months, value))) for label, value in money
        ],
        usage_charts=[(label, charts.chart(bars)) for label, bars in usage],
        chart=charts,
        labels=LABELS,
    )


def open_invoices_card(user, **given) -> dict | None:
    """The dashboard's count and sum of a member's issued invoices not yet collected (or
    returned by the bank)."""
    if user.role not in MEMBERS or user.role == Role.ADMIN or user.member_id is None:
        return None
    count, total = db.session.execute(
        select(func.count(Invoice.id), func.sum(Invoice.gross)).where(
            Invoice.member_id == user.member_id,
            Invoice.state == InvoiceState.ISSUED,
            Invoice.kind != InvoiceKind.CREDIT_NOTE,
            Invoice.collected_at.is_(None) | Invoice.returned_at.is_not(None),
        )
    ).one()
    return {"count": count, "total": total or 0}
