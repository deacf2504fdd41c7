"""A room's recordings, as BBBLB keeps them: listed with duration and participants, published or
not, protected or not, deleted. Each change names a recording of this room's meeting: the
record ID is checked against the room before anything is asked of the cluster."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from panel.core.audit import record
from panel.core.errors import NotFound, ValidationFailed
from panel.extensions import db
from panel.video.meetings import call
from panel.video.models import Room

ACTIONS = ("publish", "unpublish", "protect", "unprotect", "delete")


@dataclass(frozen=True)
class Recording:
    record_id: str
    name: str
    published: bool
    protected: bool
    state: str
    started_at: datetime | None
    ended_at: datetime | None
    participants: int
    playback_url: str | None

    @property
    def duration_minutes(self) -> int | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0, round((self.ended_at - self.started_at).total_seconds() / 60))


def _time(milliseconds: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(milliseconds) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _recording(item: dict[str, Any]) -> Recording:
    formats = item.get("playback") or []
    return Recording(
        record_id=str(item.get("recordID", "")),
        name=str(item.get("name", "")),
        published=str(item.get("published", "")).lower() == "true",
        protected=str(item.get("protected", "")).lower() == "true",
        state=str(item.get("state", "")),
        started_at=_time(item.get("startTime")),
        ended_at=_time(item.get("endTime")),
        participants=_count(item.get("participants")),
        playback_url=next((f.get("url") for f in formats if f.get("url")), None),
    )


def recordings(room: Room) -> list[Recording]:
    answer = call(room, "getRecordings", {"meetingID": room.meeting_id, "state": "any"})
    listed = [_recording(item) for item in answer.recordings()]
    # Deleted ones may still be named (BBB keeps them until its clean-up); they are gone.
    return [item for item in listed if item.state != "deleted"]


def _owned(room: Room, record_id: Any) -> str:
    """RECORD_ID if it is one of the room's recordings (the same 404 otherwise)."""
    if not isinstance(record_id, str) or not 1 <= len(record_id) <= 128:
        raise NotFound(_l("No such recording."))
    if not all(char.isalnum() or char in "-_" for char in record_id):
        raise NotFound(_l("No such recording."))
    if not any(item.record_id == record_id for item in recordings(room)):
        raise NotFound(_l("No such recording."))
    return record_id


def change(room: Room, record_id: Any, action: Any) -> None:
    if action not in ACTIONS:
        raise ValidationFailed.field(
            "action", _l("One of: %(choices)s", choices=", ".join(ACTIONS))
        )
    record_id = _owned(room, record_id)
    if action in ("publish", "unpublish"):
        params = {"recordID": record_id, "publish": "true" if action == "publish" else "false"}
        call(room, "publishRecordings", params)
    elif action in ("protect", "unprotect"):
        params = {"recordID": record_id, "protect": "true" if action == "protect" else "false"}
        call(room, "updateRecordings", params)
    else:
        call(room, "deleteRecordings", {"recordID": record_id})
    record(
        f"recording.{action}",
        room,
        after={"record_id": record_id},
        member_id=room.member_id,
    )
    db.session.commit()
