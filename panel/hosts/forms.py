from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from panel.core.labels import label_choices
from panel.hosts.models import HostRole


class HostScanForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=63)])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=253)])
    ssh_port = IntegerField(_l("SSH port"), default=22, validators=[NumberRange(1, 65535)])
    role = SelectField(_l("Role"), choices=label_choices(*HostRole))
    groups = StringField(_l("Groups (comma-separated)"), validators=[Length(max=500)])
    capacity = IntegerField(_l("Capacity"), default=100, validators=[NumberRange(1, 1_000_000)])


class HostConfirmForm(HostScanForm):
    fingerprint = StringField(
        _l("Host key fingerprint you expect"), validators=[DataRequired(), Length(max=60)]
    )
    password = PasswordField(
        _l("One-time root password (empty: the panel's key is already authorized)"),
        validators=[Optional(), Length(max=256)],
    )
