from flask_wtf import FlaskForm


class ReadForm(FlaskForm):
    """Marking read: nothing but the CSRF token."""


class MailSwitchesForm(FlaskForm):
    """The mail switches; the checked kinds come as the list `kinds`, checked against the
    user's role by the operation."""
