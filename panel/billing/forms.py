from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from panel.billing.keys import LABELS
from panel.core.errors import ValidationFailed
from panel.core.money import AMOUNT_LENGTH, PERCENT_LENGTH, clean_amount, clean_percent


class AmountField(StringField):
    """An amount in euros, read by panel.core.money as the API reads it: the same checks and
    the same messages on the page as in the API."""

    max_length = AMOUNT_LENGTH

    def __init__(self, label=None, validators=None, *, signed: bool = False, **kwargs):
        kwargs.setdefault("render_kw", {"maxlength": self.max_length})
        super().__init__(label, validators, **kwargs)
        self.signed = signed

    def clean(self, value):
        return clean_amount(self.name, value, signed=self.signed)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        # Empty text is left to InputRequired, or to the operation where the field is optional.
        if valuelist and valuelist[0]:
            try:
                self.data = self.clean(self.data)
            except ValidationFailed as exc:
                raise ValueError(exc.message) from exc


class PercentField(AmountField):
    """A percentage from 0 to 100, read by panel.core.money as the API reads it."""

    max_length = PERCENT_LENGTH

    def clean(self, value):
        return clean_percent(self.name, value)


class PeriodForm(FlaskForm):
    month = StringField(_l("Month (YYYY-MM)"), validators=[DataRequired(), Length(max=7)])
    membership_fee = AmountField(_l("Membership fee per member (EUR)"), default="0.00")
    reserve_percent = PercentField(_l("Reserve surcharge (%)"), default="0")
    vat_percent = PercentField(_l("VAT (%)"), validators=[InputRequired()])


class PoolForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    amount = AmountField(_l("Amount (EUR)"), validators=[InputRequired()])
    key = SelectField(
        _l("Shared by"),
        choices=[SelectChoice(key.value, label) for key, label in LABELS.items()],
        validate_choice=False,
    )


class CorrectionForm(FlaskForm):
    amount = AmountField(
        _l("Amount (EUR, negative for a credit note)"),
        validators=[InputRequired()],
        signed=True,
    )
    description = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])
