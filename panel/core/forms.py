"""Showing an operation's validation errors on the form that sent the input."""

from flask import flash
from flask_wtf import FlaskForm

from panel.core.errors import PanelError


def show_errors(form: FlaskForm, exc: PanelError) -> None:
    """Attach field errors to the form's fields; anything else becomes a flash message."""
    unplaced = []
    for name, messages in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), *messages]
        else:
            unplaced.extend(messages)
    if unplaced or not exc.fields:
        flash(exc.message if not unplaced else " ".join(unplaced), "error")
