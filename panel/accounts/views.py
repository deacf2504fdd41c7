"""Login, second factor, own account, API tokens, password reset; the dashboard's card of a
reseller's customers."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from panel.accounts import auth, forms, operations, totp
from panel.accounts.loaders import load_api_token
from panel.accounts.models import ApiToken, User
from panel.accounts.throttle import LoginDelayed
from panel.core.audit import acting
from panel.core.cards import cards
from panel.core.errors import PanelError
from panel.core.forms import show_errors
from panel.core.headers import no_store
from panel.core.mail import MailError
from panel.core.roles import Role
from panel.core.validators import is_local_path
from panel.extensions import db, limiter

bp = Blueprint("accounts", __name__)
ENROL_SECRET = "enrol_secret"  # noqa: S105  # nosec B105  # a session key name

# Per address only: a limit per account would let anyone lock its owner out. Accounts get
# growing delays instead (panel.accounts.throttle), which a password reset clears.
rate_limited = limiter.limit(auth.login_limit, methods=["POST"])


def _safe_next() -> str:
    """The `next` page if it is a path on this site."""
    target = request.args.get("next", "")
    return target if is_local_path(target) else url_for("core.index")


def _page(template: str, form, **context):
    """A form page; 422 when the form came back with errors."""
    return render_template(template, form=form, **context), 422 if form.errors else 200


def _delayed_page(template: str, form, exc: LoginDelayed):
    """The form again, saying how long the account's delay still runs. (Flask-Limiter puts the
    later of this Retry-After and the end of the address's window in the header.)"""
    flash(exc.message, "error")
    return render_template(template, form=form), 429, {"Retry-After": str(exc.seconds)}


@bp.route("/login", methods=["GET", "POST"])
@rate_limited
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = forms.LoginForm()
    if form.validate_on_submit():
        try:
            user = operations.authenticate(
                form.email.data,
                form.password.data,
                delayed=not auth.login_after_reset(form.email.data),
            )
        except LoginDelayed as exc:
            return _delayed_page("accounts/login.html", form, exc)
        if user is None:
            flash(_("Email or password is not right."), "error")
        else:
            auth.start_login(user)
            session["remember"] = bool(form.remember.data)
            if user.totp_enabled:
                return redirect(url_for("accounts.second_factor", next=_safe_next()))
            if auth.needs_enrolment(user):
                return redirect(url_for("accounts.enrol", next=_safe_next()))
            auth.finish_login(user, remember=bool(form.remember.data))
            return redirect(_safe_next())
    return _page("accounts/login.html", form)


@bp.route("/login/code", methods=["GET", "POST"])
@rate_limited
def second_factor():
    user = auth.pending_user()
    if user is None:
        return redirect(url_for("accounts.login"))
    form = forms.CodeForm()
    if form.validate_on_submit():
        try:
            # Not logged in yet: a used recovery code is still this user's doing.
            with acting("web", user):
                verified = operations.verify_second_factor(user, form.code.data)
        except LoginDelayed as exc:
            return _delayed_page("accounts/second_factor.html", form, exc)
        if verified:
            auth.finish_login(user, remember=bool(session.get("remember")))
            if operations.has_legacy_recovery_codes(user):
                flash(
                    _(
                        "Your recovery codes are of an older, weaker kind. They still work, "
                        "but please make new ones."
                    ),
                    "info",
                )
            return redirect(_safe_next())
        form.code.errors = [_("The code does not match.")]
    return _page("accounts/second_factor.html", form)


def _enrolment_secret() -> str:
    secret = session.get(ENROL_SECRET)
    if not secret:
        secret = totp.new_secret()
        session[ENROL_SECRET] = secret
    return secret


@bp.route("/login/enrol", methods=["GET", "POST"])
@rate_limited
@no_store
def enrol():
    """Two-factor enrolment: forced for admins before their first login completes, and
    reachable by anyone from their account page."""
    user = current_user if current_user.is_authenticated else auth.pending_user()
    if user is None:
        return redirect(url_for("accounts.login"))
    if user.totp_enabled:
        return redirect(url_for("accounts.account"))
    form = forms.EnrolForm()
    secret = _enrolment_secret()
    if form.validate_on_submit():
        try:
            with acting("web", user):
                codes = operations.enable_totp(user, secret, form.code.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            session.pop(ENROL_SECRET, None)
            if not current_user.is_authenticated:
                auth.finish_login(user, remember=bool(session.get("remember")))
            return render_template("accounts/recovery_codes.html", codes=codes)
    uri = totp.provisioning_uri(secret, user.email)
    page, status = _page("accounts/enrol.html", form, secret=secret, qr=totp.qr_svg(uri), uri=uri)
    return page, status


@bp.post("/logout")
@login_required
def logout():
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/account")
@login_required
def account():
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template(
        "accounts/account.html",
        profile=forms.ProfileForm(obj=current_user),
        timezone_form=forms.TimezoneForm(obj=current_user),
        password_form=forms.PasswordChangeForm(),
        token_form=forms.TokenForm(),
        code_form=forms.CodeForm(),
        confirm=forms.ConfirmForm(),
        tokens=tokens,
        recovery_left=operations.remaining_recovery_codes(current_user),
        legacy_codes=operations.has_legacy_recovery_codes(current_user),
        cards=cards("account", current_user),
    )


@bp.post("/account/profile")
@login_required
def profile():
    form = forms.ProfileForm()
    if form.validate_on_submit():
        try:
            operations.update_account(
                current_user, display_name=form.display_name.data, locale=form.locale.data
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            session.pop("lang", None)
            flash(_("Saved."), "success")
            return redirect(url_for("accounts.account"))
    return _account_with_errors(profile=form)


@bp.post("/account/timezone")
@login_required
def timezone():
    form = forms.TimezoneForm()
    if form.validate_on_submit():
        try:
            operations.update_account(current_user, timezone=form.timezone.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("accounts.account"))
    return _account_with_errors(timezone_form=form)


@bp.post("/account/password")
@login_required
def password():
    form = forms.PasswordChangeForm()
    if form.validate_on_submit():
        try:
            revoked = operations.change_password(
                current_user,
                form.current_password.data,
                form.new_password.data,
                revoke_tokens=form.revoke_tokens.data,
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            auth.renew_session(
                current_user._get_current_object(), remember=auth.has_remember_cookie()
            )
            flash(_("Your password is changed. Other sessions were logged out."), "success")
            _say_revoked(revoked)
            return redirect(url_for("accounts.account"))
    return _account_with_errors(password_form=form)


@bp.post("/account/totp/disable")
@login_required
def totp_disable():
    form = forms.CodeForm()
    if form.validate_on_submit():
        try:
            operations.disable_totp(current_user, form.code.data)
        except PanelError as exc:  # a LoginDelayed too: its message says how long
            show_errors(form, exc)
        else:
            flash(_("Two-factor authentication is off."), "success")
            return redirect(url_for("accounts.account"))
    return _account_with_errors(code_form=form)


@bp.post("/account/recovery-codes")
@login_required
@no_store
def recovery_codes():
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        codes = operations.regenerate_recovery_codes(current_user)
    except PanelError as exc:
        flash(exc.message, "error")
        return redirect(url_for("accounts.account"))
    return render_template("accounts/recovery_codes.html", codes=codes)


@bp.post("/account/tokens")
@login_required
@no_store
def token_create():
    form = forms.TokenForm()
    if form.validate_on_submit():
        try:
            token, clear = operations.create_api_token(
                current_user,
                form.name.data,
                expires_in_days=form.expires_in_days.data,
                read_only=form.read_only.data,
            )
        except PanelError as exc:
            show_errors(form, exc)
        else:
            return render_template("accounts/token_created.html", token=token, clear=clear)
    return _account_with_errors(token_form=form)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    token = load_api_token(token_id)
    try:
        operations.revoke_api_token(token)
    except PanelError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The token is revoked."), "success")
    return redirect(url_for("accounts.account"))


def _say_revoked(count: int) -> None:
    if count:
        flash(_("API tokens revoked: %(count)s.", count=count), "info")


def _account_with_errors(**override):
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    context = {
        "profile": forms.ProfileForm(obj=current_user),
        "timezone_form": forms.TimezoneForm(obj=current_user),
        "password_form": forms.PasswordChangeForm(),
        "token_form": forms.TokenForm(),
        "code_form": forms.CodeForm(),
        "confirm": forms.ConfirmForm(),
        "tokens": tokens,
        "recovery_left": operations.remaining_recovery_codes(current_user),
        "legacy_codes": operations.has_legacy_recovery_codes(current_user),
        "cards": cards("account", current_user),
    }
    context.update(override)
    return render_template("accounts/account.html", **context), 422


@bp.route("/password/forgot", methods=["GET", "POST"])
@rate_limited
def forgot_password():
    form = forms.ForgotForm()
    if form.validate_on_submit():
        try:
            operations.request_password_reset(form.email.data)
        except MailError as exc:
            # The answer must not differ from the one for an unknown address.
            current_app.logger.warning("password reset link not sent: %s", exc)
        flash(_("If the address has an account, a link is on its way."), "info")
        return redirect(url_for("accounts.login"))
    return _page("accounts/forgot.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@rate_limited
@no_store
def reset_password(token: str):
    operations.check_reset_token(token)
    form = forms.ResetForm()
    if form.validate_on_submit():
        try:
            user, revoked = operations.reset_password(token, form.password.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            auth.allow_login_after_reset(user)
            flash(_("Your password is set. Please log in."), "success")
            _say_revoked(revoked)
            return redirect(url_for("accounts.login"))
    return _page("accounts/reset.html", form)


def customers_card(user, **given) -> dict | None:
    """The dashboard's card of a reseller's customers."""
    if user.role != Role.RESELLER:
        return None
    own = select(User).where(User.reseller_id == user.id).order_by(User.email)
    return {"customers": db.session.scalars(own).all()}
