"""Forms for bank accounts, mandates and direct debits; the operations in payments.py check
the input."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from panel.core.forms import id_choice


class BankAccountForm(FlaskForm):
    holder = StringField(_l("Account holder"), validators=[DataRequired(), Length(max=70)])
    iban = StringField(_l("IBAN"), validators=[DataRequired(), Length(max=50)])
    bic = StringField(_l("BIC (empty: derived from the IBAN)"), validators=[Length(max=20)])


class MandateForm(FlaskForm):
    bank_account = SelectField(_l("Bank account"), coerce=id_choice, validate_choice=False)
    # InputRequired keeps the "Not a valid date" message that DataRequired would replace.
    signed_on = DateField(_l("Signed on"), validators=[InputRequired()])
    reference = StringField(
        _l("Mandate reference (empty: one is made)"), validators=[Length(max=35)]
    )


class DirectDebitForm(FlaskForm):
    period = SelectField(_l("Billing period"), coerce=id_choice, validate_choice=False)
    collection_date = DateField(_l("Collection date"), validators=[InputRequired()])


class ReturnForm(FlaskForm):
    reason = StringField(
        _l("Reason (the bank's code and text)"), validators=[DataRequired(), Length(max=200)]
    )
