from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired

from panel.provisioning.actions import maintenance_actions


class MaintenanceForm(FlaskForm):
    action = SelectField(_l("Playbook"), validators=[DataRequired()])
    hosts = SelectMultipleField(_l("Hosts and groups"), validators=[DataRequired()])
    confirm = BooleanField(_l("Yes, run it on these hosts"), validators=[DataRequired()])

    def __init__(self, *args, targets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [
            (a.name, f"{a.name} — {a.description}") for a in maintenance_actions()
        ]
        self.hosts.choices = [(name, name) for name in targets]


class HostJobForm(FlaskForm):
    """A maintenance playbook on this one host (the base job among them)."""

    action = SelectField(_l("Playbook"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [
            (a.name, f"{a.name} — {a.description}") for a in maintenance_actions()
        ]
