"""Showing an operation's outcome on the page that asked for it: validation errors on the form
that sent the input, a button's result as a message; the id a choice names, and the filters of
a page's query string."""

from flask import flash, request
from flask_wtf import FlaskForm

from panel.core.errors import MAX_ID, PanelError, ValidationFailed
from panel.core.validators import clean_positive_int, clean_text


def id_choice(value: object) -> int:
    """`coerce` of a select field whose options are ids: a number beyond the database's range
    fails like any other bad choice (ValueError) instead of in the database."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        raise ValueError(f"not an id: {value!r}")
    number = int(text)
    if not 0 < number <= MAX_ID:
        raise ValueError(f"not an id: {value!r}")
    return number


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


# A page leaves a filter it cannot use out (the API refuses it with 422): the person sees the
# unfiltered list rather than an error for a hand-edited address.


def query_text(name: str, max_length: int) -> str:
    """A text filter from the query string, cut to MAX_LENGTH (a longer one still finds
    nothing, as it should); empty when absent or with control characters, which no stored
    text holds and PostgreSQL cannot even compare with."""
    value = request.args.get(name, "").strip()[:max_length]
    try:
        return clean_text(name, value, max_length=max_length, required=False)
    except ValidationFailed:
        return ""


def query_number(name: str, maximum: int) -> int | None:
    """A positive whole number from the query string, or None."""
    try:
        return clean_positive_int(name, request.args.get(name, ""), maximum=maximum)
    except ValidationFailed:
        return None
