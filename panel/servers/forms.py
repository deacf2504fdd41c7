from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from panel.servers.models import Stack
from panel.servers.names import SERVICES

STACK_NAMES = {
    Stack.WEB: _l("Web (nginx and PHP)"),
    Stack.MARIADB: "MariaDB",
    Stack.POSTGRESQL: "PostgreSQL",
}


class ServerForm(FlaskForm):
    customer_id = SelectField(_l("Customer"), validate_choice=False)
    size = SelectField(_l("Size"), validate_choice=False)
    stacks = SelectMultipleField(
        _l("Stacks"),
        choices=[SelectChoice(stack.value, label) for stack, label in STACK_NAMES.items()],
        validate_choice=False,
    )


class ServerUserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=32)])
    sudo = BooleanField(_l("May use sudo"))
    keys = TextAreaField(
        _l("Public SSH keys (one per line)"), validators=[Optional(), Length(max=40000)]
    )


class ServerKeyForm(FlaskForm):
    public_key = StringField(_l("Public SSH key"), validators=[DataRequired(), Length(max=16000)])


class ServerPortForm(FlaskForm):
    port = StringField(_l("Port"), validators=[DataRequired(), Length(max=5)])
    proto = SelectField(
        _l("Protocol"),
        choices=[SelectChoice("tcp", "TCP"), SelectChoice("udp", "UDP")],
        validate_choice=False,
    )


class ServerActionForm(FlaskForm):
    service = SelectField(
        _l("Service"),
        choices=[SelectChoice(name, name) for name in SERVICES],
        validate_choice=False,
    )


class ReleaseForm(FlaskForm):
    mode = RadioField(
        _l("What happens to the data"),
        choices=[
            SelectChoice("archive", _l("Archive it (kept for the grace period), then wipe")),
            SelectChoice("wipe", _l("Wipe it")),
        ],
        default="archive",
        validate_choice=False,
    )
    confirm = StringField(
        _l("Type the server's name to confirm"), validators=[DataRequired(), Length(max=40)]
    )
