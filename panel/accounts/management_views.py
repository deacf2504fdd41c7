"""Pages for keeping accounts: admins every account (/admin/users), a reseller its customers
(/customers); one page per account (/users/<id>) for both."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from panel.accounts import forms, management, operations
from panel.accounts.loaders import load_account, managed_accounts
from panel.accounts.models import User
from panel.core.access import require_role
from panel.core.cards import cards
from panel.core.errors import PanelError
from panel.core.forms import query_text, run_from_button, show_errors
from panel.core.headers import no_store
from panel.core.listing import Listing, matching, page_of
from panel.core.roles import Role

bp = Blueprint("management", __name__)
KEEPERS = (Role.ADMIN, Role.RESELLER)


ACCOUNT_LIST = Listing(
    sorts={
        "email": User.email,
        "name": User.display_name,
        "role": User.role,
        "login": User.last_login_at,
    },
    tiebreaker=User.id,
    search=lambda text: matching(text, (User.email, User.display_name)),
)


def _listing(template: str, form, status: int = 200):
    """The kept accounts, searched, one page of them, with what each customer has."""
    role = query_text("role", 16) if current_user.role == Role.ADMIN else ""
    page = page_of(managed_accounts("", role), ACCOUNT_LIST, role=role)
    page_html = render_template(
        template,
        form=form,
        page=page,
        accounts=page.rows,
        holdings=cards("customers", page.rows),
        role=role,
    )
    return page_html, status


def _created(account: User, link: management.PasswordLink | None):
    flash(_("Account %(email)s created.", email=account.email), "success")
    return _link_answer(account, link)


def _link_answer(account: User, link: management.PasswordLink | None):
    """The page after a password link was made: the link itself, shown once, when no mail
    server is configured; otherwise the account's page saying whether it was mailed."""
    if link is not None and link.link:
        return render_template("accounts/password_link.html", account=account, link=link.link)
    if link is not None and link.mailed:
        message = _("A link to set the password is on its way to %(email)s.", email=account.email)
        flash(message, "info")
    elif link is not None:
        flash(_("The mail with the password link could not be sent."), "error")
    return _back(account)


def _create(form, role: str, **given):
    """Make the account the form describes; the answer, or None when the form has errors."""
    try:
        account, link = management.create_account(
            current_user,
            form.email.data,
            role,
            display_name=form.display_name.data,
            contact=form.contact.data,
            **given,
        )
    except PanelError as exc:
        show_errors(form, exc)
        return None
    return _created(account, link)


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
@no_store
def users():
    require_role(Role.ADMIN)
    form = forms.UserCreateForm()
    if form.validate_on_submit():
        answer = _create(
            form,
            form.role.data,
            password=form.password.data or None,
            reseller=form.reseller.data,
        )
        if answer is not None:
            return answer
    return _listing("accounts/users.html", form, 422 if form.errors else 200)


@bp.route("/customers", methods=["GET", "POST"])
@login_required
@no_store
def customers():
    require_role(Role.RESELLER)
    form = forms.AccountForm()
    if form.validate_on_submit():
        answer = _create(form, Role.CUSTOMER)
        if answer is not None:
            return answer
    return _listing("accounts/customers.html", form, 422 if form.errors else 200)


def _detail(account: User, status: int = 200, **given):
    shown = {
        "form": forms.AccountForm(obj=account, formdata=None),
        "role_form": forms.RoleForm(role=account.role, formdata=None),
        **given,
    }
    page = render_template(
        "accounts/user.html",
        account=account,
        holdings=cards("customers", [account]) if account.role == Role.CUSTOMER else [],
        **shown,
    )
    return page, status


def _back(account: User):
    return redirect(url_for("management.account", login_id=account.id))


def _confirmed() -> None:
    """A button's form must carry its CSRF token."""
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)


@bp.get("/users/<int:login_id>")
@login_required
def account(login_id: int):
    require_role(*KEEPERS)
    return _detail(load_account(login_id))


@bp.post("/users/<int:login_id>")
@login_required
def account_edit(login_id: int):
    require_role(*KEEPERS)
    record = load_account(login_id)
    form = forms.AccountForm()
    if form.validate_on_submit():
        try:
            management.edit_account(
                record,
                {
                    "email": form.email.data,
                    "display_name": form.display_name.data,
                    "contact": form.contact.data,
                },
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Saved."), "success")
            return _back(record)
    return _detail(record, 422, form=form)


@bp.post("/users/<int:login_id>/role")
@login_required
def account_role(login_id: int):
    require_role(Role.ADMIN)
    record = load_account(login_id)
    form = forms.RoleForm()
    if form.validate_on_submit():
        try:
            management.change_role(record, form.role.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Saved."), "success")
            return _back(record)
    return _detail(record, 422, role_form=form)


@bp.post("/users/<int:login_id>/<any(disable, enable):change>")
@login_required
def account_enabled(login_id: int, change: str):
    require_role(*KEEPERS)
    record = load_account(login_id)
    _confirmed()
    run_from_button(operations.set_enabled, record, change == "enable")
    return _back(record)


@bp.post("/users/<int:login_id>/second-factor/reset")
@login_required
def account_second_factor(login_id: int):
    require_role(Role.ADMIN)
    record = load_account(login_id)
    _confirmed()
    run_from_button(management.reset_second_factor, record)
    return _back(record)


@bp.post("/users/<int:login_id>/password-link")
@login_required
@no_store
def account_password_link(login_id: int):
    require_role(*KEEPERS)
    record = load_account(login_id)
    _confirmed()
    return _link_answer(record, management.offer_password_link(record))


@bp.post("/users/<int:login_id>/delete")
@login_required
def account_delete(login_id: int):
    require_role(*KEEPERS)
    record = load_account(login_id)
    _confirmed()
    deleted = run_from_button(management.delete_account, record, done=_("The account is deleted."))
    if deleted is None:
        return _back(record)
    listing = "management.users" if current_user.role == Role.ADMIN else "management.customers"
    return redirect(url_for(listing))
