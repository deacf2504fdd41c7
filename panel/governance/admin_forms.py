"""The board's forms: a resolution's draft and its attachments. Times are entered in the
admin's own time zone; the operations check the input."""

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone, to_utc
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from panel.governance.models import Majority, Resolution

LOCAL_MOMENT = "%Y-%m-%dT%H:%M"
MOMENTS = ("discussion_from", "voting_from", "voting_until")
MAJORITY_NAMES = {
    Majority.SIMPLE.value: _l("Simple majority"),
    Majority.TWO_THIRDS.value: _l("Two thirds"),
    Majority.THREE_QUARTERS.value: _l("Three quarters (for statute changes)"),
}
BALLOTS = [
    SelectChoice("secret", _l("Secret (receipts are published)")),
    SelectChoice("open", _l("Open (names are shown)")),
]


class ResolutionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    text = TextAreaField(
        _l("Text of the motion (Markdown)"), validators=[DataRequired(), Length(max=50000)]
    )
    majority = SelectField(
        _l("Majority"),
        choices=[SelectChoice(value, name) for value, name in MAJORITY_NAMES.items()],
    )
    # InputRequired, not DataRequired: 0 (no quorum) is an input.
    quorum_percent = IntegerField(
        _l("Quorum (percent of the eligible members who must vote)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    ballot = SelectField(_l("Kind of ballot"), choices=BALLOTS)
    cutoff = DateField(
        _l("Eligibility cutoff (members active on this day vote)"), validators=[InputRequired()]
    )
    discussion_from = DateTimeLocalField(
        _l("Discussion from"), format=LOCAL_MOMENT, validators=[InputRequired()]
    )
    voting_from = DateTimeLocalField(
        _l("Voting from (the discussion ends)"), format=LOCAL_MOMENT, validators=[InputRequired()]
    )
    voting_until = DateTimeLocalField(
        _l("Voting until"), format=LOCAL_MOMENT, validators=[InputRequired()]
    )
    min_supporters = IntegerField(
        _l("Supporters an amendment needs"),
        validators=[InputRequired(), NumberRange(min=0, max=100000)],
    )

    def fill(self, resolution: Resolution) -> None:
        """Show a stored draft, its times in the admin's time zone."""
        for name in ("title", "text", "majority", "quorum_percent", "cutoff", "min_supporters"):
            getattr(self, name).data = getattr(resolution, name)
        self.ballot.data = "secret" if resolution.secret else "open"
        for name in MOMENTS:
            getattr(self, name).data = _local(getattr(resolution, name))

    def data_for_operation(self) -> dict:
        """The input as the operations take it: the times aware, in UTC."""
        data = {
            name: getattr(self, name).data
            for name in ("title", "text", "majority", "quorum_percent", "cutoff", "min_supporters")
        }
        data["secret"] = self.ballot.data == "secret"
        for name in MOMENTS:
            data[name] = to_utc(getattr(self, name).data).replace(tzinfo=UTC)
        return data


def _local(moment: datetime) -> datetime:
    """A stored moment as the admin's wall clock shows it, for a datetime-local input."""
    return to_user_timezone(moment).replace(tzinfo=None)


class AttachmentForm(FlaskForm):
    file = FileField(_l("PDF file"), validators=[FileRequired(_l("Choose a PDF file."))])
