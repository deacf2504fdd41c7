"""Forms of the member register and the membership page; the operations check the input."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from panel.coop.operations import MAX_SHARES_PER_TRANSACTION
from panel.core.labels import label_choices


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    street = StringField(_l("Street"), validators=[Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Length(max=16)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    country = StringField(_l("Country (two letters)"), default="DE", validators=[Length(max=2)])


class OfficeContactForm(ContactForm):
    """The office also keeps the VAT ID: it decides the invoices' VAT, so members do not set it."""

    vat_id = StringField(_l("VAT ID (businesses)"), validators=[Length(max=20)])


class MemberForm(OfficeContactForm):
    prefix = StringField(
        _l("Prefix (three letters, names the webspaces)"),
        validators=[DataRequired(), Length(min=3, max=3)],
    )
    kind = SelectField(_l("Kind"), choices=label_choices("natural", "legal"))
    admit = BooleanField(_l("Admit at once"), default=True)


class ShareForm(FlaskForm):
    kind = SelectField(_l("Booking"), choices=label_choices("subscription", "cancellation"))
    count = IntegerField(
        _l("Number of shares"),
        # InputRequired, not DataRequired: 0 is an input, and NumberRange says what is wrong.
        validators=[InputRequired(), NumberRange(min=1, max=MAX_SHARES_PER_TRANSACTION)],
    )
    # InputRequired keeps the "Not a valid date" message that DataRequired would replace.
    value_date = DateField(_l("Value date"), validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Length(max=500)])


class DateForm(FlaskForm):
    on = DateField(_l("Effective on"), validators=[Optional()])


class SubscribeForm(FlaskForm):
    count = IntegerField(
        _l("Number of shares"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_SHARES_PER_TRANSACTION)],
    )


class ShareNoticeForm(FlaskForm):
    count = IntegerField(
        _l("Shares to give notice on"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_SHARES_PER_TRANSACTION)],
    )


class ConfirmForm(FlaskForm):
    """A form of no fields but the CSRF token: a button that changes something."""


class PaidForm(FlaskForm):
    paid_on = DateField(_l("Paid on"), validators=[Optional()])
