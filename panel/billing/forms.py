from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from panel.billing.keys import LABELS


class PeriodForm(FlaskForm):
    month = StringField(_l("Month (YYYY-MM)"), validators=[DataRequired(), Length(max=7)])
    membership_fee = StringField(_l("Membership fee per member (EUR)"), default="0.00")
    reserve_percent = StringField(_l("Reserve surcharge (%)"), default="0")
    vat_percent = StringField(_l("VAT (%)"), validators=[DataRequired(), Length(max=6)])


class PoolForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    amount = StringField(_l("Amount (EUR)"), validators=[DataRequired(), Length(max=20)])
    key = SelectField(
        _l("Shared by"),
        choices=[SelectChoice(key.value, label) for key, label in LABELS.items()],
        validate_choice=False,
    )


class CorrectionForm(FlaskForm):
    amount = StringField(
        _l("Amount (EUR, negative for a credit note)"),
        validators=[DataRequired(), Length(max=20)],
    )
    description = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])
