from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, StringField
from wtforms.validators import Optional

# Forms only carry the input: panel.video's operations check it (names.py), so that the pages
# and the API refuse the same things with the same messages.


class RoomForm(FlaskForm):
    name = StringField(_l("Name"))
    slug = StringField(_l("Address (/r/…)"), description=_l("Empty: made from the name."))
    viewer_code = StringField(_l("Access code for viewers (optional)"))
    moderator_code = StringField(_l("Access code for moderators (optional)"))
    record = BooleanField(_l("Allow recording"))
    mute_on_start = BooleanField(_l("Mute participants when they join"))
    waiting_room = BooleanField(_l("Waiting room: moderators let guests in"))
    anyone_can_start = BooleanField(_l("Anyone with access may start the meeting"))
    all_moderators = BooleanField(_l("Everyone joins as moderator"))
    max_participants = IntegerField(_l("Most participants (optional)"), validators=[Optional()])


class ShareForm(FlaskForm):
    member = StringField(_l("Member number"))


class GuestForm(FlaskForm):
    name = StringField(_l("Your name"))
    code = PasswordField(_l("Access code"))


class ServerForm(FlaskForm):
    domain = StringField(_l("Domain (and port) of the BigBlueButton server"))
    secret = PasswordField(_l("Its API secret (bbb-conf --secret)"))


class LimitsForm(FlaskForm):
    max_participants = IntegerField(_l("Most participants per meeting"), validators=[Optional()])
    max_duration_minutes = IntegerField(_l("Longest meeting (minutes)"), validators=[Optional()])
    recording_allowed = BooleanField(_l("Recordings allowed"))
