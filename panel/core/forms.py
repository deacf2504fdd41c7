"""Showing an operation's outcome on the page that asked for it: validation errors on the form
that sent the input, a button's result as a message."""

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


def run_from_button(act, *args, done: str | None = None):
    """Run an operation a button asked for; its refusal becomes the page's message. The
    operation's result, or None when it was refused."""
    from flask_babel import gettext as _

    try:
        result = act(*args)
    except PanelError as exc:
        flash(exc.message, "error")
        return None
    flash(done or _("Done."), "success")
    return result
