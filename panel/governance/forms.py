"""Forms of the members' resolution pages; the operations check the input again."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from panel.core.labels import label_choices
from panel.governance.discussion import MAX_COMMENT, MAX_TEXT, MAX_TITLE
from panel.governance.models import Choice, ItemKind, ResolutionItem


# The comment and amendment forms share one page: their fields get ids of their own, so that
# each label leads to its own field.
class CommentForm(FlaskForm):
    text = TextAreaField(
        _l("Your comment"),
        id="comment-text",
        validators=[DataRequired(), Length(max=MAX_COMMENT)],
    )


class AmendmentForm(FlaskForm):
    title = StringField(
        _l("Title"), id="amendment-title", validators=[DataRequired(), Length(max=MAX_TITLE)]
    )
    text = TextAreaField(
        _l("Text (Markdown)"),
        id="amendment-text",
        validators=[DataRequired(), Length(max=MAX_TEXT)],
    )


class ProxyForm(FlaskForm):
    proxy_member = StringField(
        _l("Member number of your proxy"), validators=[DataRequired(), Length(max=20)]
    )


class ActionForm(FlaskForm):
    """A button's form: nothing but the CSRF token."""


def item_field(item: ResolutionItem) -> str:
    return f"item_{item.id}"


def ballot_form(items: list[ResolutionItem], principal_id: int | None = None, **kwargs):
    """A ballot with one yes/no/abstain choice per item; the motion must be answered, an
    amendment may be left out. Each principal's ballot has a prefix of its own, so that the
    ballots on one page do not share field ids."""

    class Ballot(FlaskForm):
        pass

    for item in items:
        required = item.kind == ItemKind.MOTION
        setattr(
            Ballot,
            item_field(item),
            RadioField(
                item.title,
                choices=label_choices(*(choice.value for choice in Choice)),
                validators=[InputRequired(_l("Choose yes, no or abstain."))]
                if required
                else [Optional()],
            ),
        )
    prefix = f"for{principal_id}" if principal_id else "own"
    return Ballot(prefix=prefix, **kwargs)


def chosen(form, items: list[ResolutionItem]) -> dict[int, str]:
    """The choices the ballot gives, by item id (left-out amendments are not in it)."""
    answers = {item.id: getattr(form, item_field(item)).data for item in items}
    return {item_id: choice for item_id, choice in answers.items() if choice}
