"""Pages for SEPA direct debit: a member's bank accounts and mandates (one's own, or any
member's for the office), and the office's direct-debit files with what the bank reported."""

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from panel.billing import payment_forms as forms
from panel.billing import payments
from panel.billing.loaders import (
    load_bank_account,
    load_direct_debit,
    load_invoice,
    load_mandate,
)
from panel.billing.models import BankAccount, BillingPeriod, DirectDebit, Mandate
from panel.coop.loaders import load_member
from panel.coop.models import Member
from panel.core.access import require_role
from panel.core.errors import Conflict, NotFound, PanelError, ValidationFailed
from panel.core.forms import run_from_button, show_errors
from panel.core.roles import Role
from panel.extensions import db

bp = Blueprint("payments", __name__)


def _member(member_id: int | None) -> Member:
    """Whose payment details: one's own (no id), or any member's for the office."""
    if member_id is None:
        if current_user.member is None:
            raise NotFound(_("No such object."))
        return current_user.member
    require_role(Role.ADMIN)
    return load_member(member_id)


def _page_url(member_id: int) -> str:
    if current_user.role == Role.ADMIN:
        return url_for("payments.payment", member_id=member_id)
    return url_for("payments.payment")


def _mandate_form(member: Member, **kwargs) -> forms.MandateForm:
    form = forms.MandateForm(**kwargs)
    form.bank_account.choices = [
        SelectChoice(account.id, f"{account.holder} · {account.iban}")
        for account in _accounts(member)
    ]
    return form


def _accounts(member: Member) -> list[BankAccount]:
    query = select(BankAccount).where(BankAccount.member_id == member.id)
    return list(db.session.scalars(query.order_by(BankAccount.id)))


def _payment_page(member: Member, member_id: int | None, status: int = 200, **given):
    mandates = db.session.scalars(
        select(Mandate).where(Mandate.member_id == member.id).order_by(Mandate.id.desc())
    ).all()
    shown = {
        "account_form": forms.BankAccountForm(formdata=None),
        "mandate_form": _mandate_form(member, formdata=None),
        **given,
    }
    return render_template(
        "billing/payment.html",
        member=member,
        member_id=member_id,
        accounts=_accounts(member),
        mandates=mandates,
        **shown,
    ), status


@bp.get("/billing/payment", defaults={"member_id": None})
@bp.get("/admin/members/<int:member_id>/payment")
@login_required
def payment(member_id: int | None):
    return _payment_page(_member(member_id), member_id)


@bp.post("/billing/payment/accounts", defaults={"member_id": None})
@bp.post("/admin/members/<int:member_id>/payment/accounts")
@login_required
def account_add(member_id: int | None):
    member = _member(member_id)
    form = forms.BankAccountForm()
    if form.validate_on_submit():
        try:
            payments.add_bank_account(member, form.holder.data, form.iban.data, form.bic.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Bank account added."), "success")
            return redirect(url_for("payments.payment", member_id=member_id))
    return _payment_page(member, member_id, 422, account_form=form)


@bp.post("/billing/payment/mandates", defaults={"member_id": None})
@bp.post("/admin/members/<int:member_id>/payment/mandates")
@login_required
def mandate_add(member_id: int | None):
    member = _member(member_id)
    form = _mandate_form(member)
    if form.validate_on_submit():
        account = form.bank_account.data and db.session.get(BankAccount, form.bank_account.data)
        try:
            mandate = payments.create_mandate(
                member, account, form.signed_on.data, form.reference.data
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Mandate %(reference)s recorded.", reference=mandate.reference), "success")
            return redirect(url_for("payments.payment", member_id=member_id))
    return _payment_page(member, member_id, 422, mandate_form=form)


@bp.post("/billing/payment/accounts/<int:account_id>/delete")
@login_required
def account_remove(account_id: int):
    account = load_bank_account(account_id, change=True)
    member_id = account.member_id
    run_from_button(payments.remove_bank_account, account)
    return redirect(_page_url(member_id))


@bp.post("/billing/payment/mandates/<int:mandate_id>/revoke")
@login_required
def mandate_revoke(mandate_id: int):
    mandate = load_mandate(mandate_id, change=True)
    run_from_button(payments.revoke_mandate, mandate)
    return redirect(_page_url(mandate.member_id))


def _debit(debit_id: int) -> DirectDebit:
    require_role(Role.ADMIN)
    return load_direct_debit(debit_id)


def _debit_form(**kwargs) -> forms.DirectDebitForm:
    form = forms.DirectDebitForm(**kwargs)
    periods = db.session.scalars(select(BillingPeriod).order_by(BillingPeriod.month.desc()))
    form.period.choices = [
        SelectChoice(period.id, period.month.strftime("%Y-%m")) for period in periods
    ]
    return form


def _debits_page(form, status: int = 200):
    debits = db.session.scalars(select(DirectDebit).order_by(DirectDebit.id.desc()).limit(200))
    return render_template("billing/direct_debits.html", debits=debits.all(), form=form), status


@bp.get("/admin/direct-debits")
@login_required
def debits():
    require_role(Role.ADMIN)
    return _debits_page(_debit_form(formdata=None))


@bp.post("/admin/direct-debits")
@login_required
def debit_create():
    require_role(Role.ADMIN)
    form = _debit_form()
    if form.validate_on_submit():
        try:
            period = form.period.data and db.session.get(BillingPeriod, form.period.data)
            if not period:
                raise ValidationFailed.field("period", _("Choose a billing period."))
            debit = payments.direct_debit(payments.collectable(period), form.collection_date.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Direct debit made. Invoices: %(count)s.", count=debit.count), "success")
            return redirect(url_for("payments.debit", debit_id=debit.id))
    return _debits_page(form, 422)


def _debit_page(debit: DirectDebit, status: int = 200, refused: dict | None = None):
    """The debit's page; REFUSED: the return reason as typed, with its errors, by invoice id."""
    return render_template(
        "billing/direct_debit.html",
        debit=debit,
        invoices=payments.debit_invoices(debit),
        refused=refused or {},
    ), status


@bp.get("/admin/direct-debits/<int:debit_id>")
@login_required
def debit(debit_id: int):
    return _debit_page(_debit(debit_id))


@bp.get("/admin/direct-debits/<int:debit_id>.xml")
@login_required
def debit_xml(debit_id: int):
    debit = _debit(debit_id)
    return Response(
        debit.xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f"attachment; filename={debit.message_id}.xml"},
    )


@bp.post("/admin/direct-debits/<int:debit_id>/collected")
@login_required
def debit_collected(debit_id: int):
    debit = _debit(debit_id)
    run_from_button(payments.mark_collected, debit)
    return redirect(url_for("payments.debit", debit_id=debit.id))


@bp.post("/admin/invoices/<int:invoice_id>/return")
@login_required
def invoice_return(invoice_id: int):
    require_role(Role.ADMIN)
    invoice = load_invoice(invoice_id)
    if invoice.direct_debit_id is None:
        raise Conflict(_("This invoice is in no direct debit."))
    debit = db.session.get(DirectDebit, invoice.direct_debit_id)
    form = forms.ReturnForm()
    if not form.validate_on_submit():
        return _debit_page(debit, 422, {invoice.id: form})
    try:
        payments.record_return(invoice, form.reason.data)
    except PanelError as exc:
        show_errors(form, exc)
        return _debit_page(debit, exc.status, {invoice.id: form})
    flash(_("Return of %(number)s recorded.", number=invoice.number), "success")
    return redirect(url_for("payments.debit", debit_id=debit.id))
