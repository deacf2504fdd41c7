from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from panel.accounts.management import SWAPPABLE_ROLES
from panel.accounts.operations import CONTACT_LENGTH, MAX_TOKEN_DAYS
from panel.core.labels import label_choices
from panel.core.roles import ROLE_VALUES
from panel.core.timezones import CHOICES as TIMEZONE_CHOICES


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Stay logged in"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app or a recovery code"),
        validators=[DataRequired(), Length(max=32)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class EnrolForm(FlaskForm):
    code = StringField(
        _l("Six-digit code from your authenticator app"),
        validators=[DataRequired(), Length(min=6, max=8)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[Length(max=120)])
    locale = SelectField(
        _l("Language"), choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")]
    )


class TimezoneForm(FlaskForm):
    # Checked by the operation, which says what is wrong in the language of the page.
    timezone = SelectField(_l("Time zone"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = _l("as the panel: %(zone)s", zone=current_app.config["TIMEZONE"])
        self.timezone.choices = [SelectChoice("", default), *TIMEZONE_CHOICES]


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    revoke_tokens = BooleanField(
        _l("Also revoke all my API tokens: scripts and apps that use them stop working"),
        default=True,
    )


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=80)])
    # Bounded by the operation, which says why in the language of the page.
    expires_in_days = IntegerField(
        _l("Expires after days (empty: never; at most %(days)s)", days=MAX_TOKEN_DAYS),
        validators=[Optional()],
        render_kw={"min": 1, "max": MAX_TOKEN_DAYS},
    )
    read_only = BooleanField(_l("Read-only: may only read, change nothing"))


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])


class AccountForm(FlaskForm):
    """What a reseller keeps of a customer's account, and an admin of any."""

    email = EmailField(_l("Email (the login)"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(_l("Name"), validators=[Length(max=120)])
    contact = TextAreaField(_l("Contact (phone, address)"), validators=[Length(max=CONTACT_LENGTH)])


class UserCreateForm(AccountForm):
    role = SelectField(_l("Role"), choices=label_choices(*ROLE_VALUES))
    reseller = EmailField(
        _l("Reseller's email (for a customer)"), validators=[Optional(), Length(max=254)]
    )
    password = PasswordField(_l("Password (empty: the person gets a link to set one)"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=label_choices(*SWAPPABLE_ROLES))


class ConfirmForm(FlaskForm):
    """A form with nothing but the CSRF token, for buttons that change state."""
