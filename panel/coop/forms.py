from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from panel.coop.operations import MAX_SHARES_PER_TRANSACTION
from panel.core.labels import LABELS


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    street = StringField(_l("Street"), validators=[Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Length(max=16)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    country = StringField(_l("Country (two letters)"), default="DE", validators=[Length(max=2)])


class MemberForm(ContactForm):
    prefix = StringField(
        _l("Prefix (three letters, names the webspaces)"),
        validators=[DataRequired(), Length(min=3, max=3)],
    )
    kind = SelectField(_l("Kind"), choices=[(kind, LABELS[kind]) for kind in ("natural", "legal")])
    admit = BooleanField(_l("Admit at once"), default=True)


class ShareForm(FlaskForm):
    kind = SelectField(
        _l("Booking"),
        choices=[(kind, LABELS[kind]) for kind in ("subscription", "cancellation")],
    )
    count = IntegerField(
        _l("Number of shares"),
        validators=[DataRequired(), NumberRange(min=1, max=MAX_SHARES_PER_TRANSACTION)],
    )
    value_date = DateField(_l("Value date"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Length(max=500)])


class DateForm(FlaskForm):
    on = DateField(_l("Effective on"), validators=[Optional()])
