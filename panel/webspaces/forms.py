from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from panel.webspaces.models import DatabaseEngine


class WebspaceForm(FlaskForm):
    name = StringField(
        _l("Name (empty: the next free one)"), validators=[Optional(), Length(max=5)]
    )
    first_domain_name = StringField(
        _l("First domain (optional, set up along with the webspace)"),
        validators=[Optional(), Length(max=300)],
    )
    first_domain_tls = BooleanField(_l("HTTPS for the first domain"), default=True)

    def first_domain(self) -> dict | None:
        """The first domain to set up along with the webspace, if one is named."""
        if not self.first_domain_name.data:
            return None
        return {"name": self.first_domain_name.data, "tls": self.first_domain_tls.data}


class AdminWebspaceForm(WebspaceForm):
    # A text field, not a choice: a drop-down of every member does not scale to thousands.
    member_number = StringField(
        _l("Member number (e.g. M-00042)"),
        validators=[Length(max=20)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    host = SelectField(_l("Host"), validate_choice=False)


class CustomerForm(FlaskForm):
    customer = SelectField(_l("Serves the customer"), validate_choice=False)


class DomainForm(FlaskForm):
    name = StringField(_l("Domain"), validators=[DataRequired(), Length(max=300)])
    www_alias = BooleanField(_l("Also answer for www."))
    tls = BooleanField(_l("HTTPS with a Let's Encrypt certificate"), default=True)
    redirect = StringField(_l("Redirect to (optional)"), validators=[Length(max=2000)])
    document_root = StringField(
        _l("Document root below the webspace (optional)"), validators=[Length(max=200)]
    )


class DatabaseForm(FlaskForm):
    engine = SelectField(
        _l("Engine"),
        choices=[
            SelectChoice(DatabaseEngine.MARIADB.value, "MariaDB"),
            SelectChoice(DatabaseEngine.POSTGRESQL.value, "PostgreSQL"),
        ],
        validate_choice=False,
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=32)])


class SftpUserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=32)])
    public_keys = TextAreaField(
        _l("Public SSH keys (one per line)"), validators=[DataRequired(), Length(max=20000)]
    )
    chroot = BooleanField(_l("SFTP only, jailed in the webspace"))
