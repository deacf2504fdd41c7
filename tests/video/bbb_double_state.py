"""The BigBlueButton test double's state: meetings with their attendees, recordings, and the
requests it saw. Tests read and change it directly."""

import time
from dataclasses import dataclass, field


@dataclass
class Attendee:
    user_id: str
    internal_user_id: str
    full_name: str
    role: str
    session_token: str


@dataclass
class Meeting:
    meeting_id: str
    internal_id: str
    name: str
    create_time: int
    record: bool
    max_participants: int
    duration: int
    guest_policy: str
    mute_on_start: bool
    moderator_pw: str
    attendee_pw: str
    voice_bridge: str
    metadata: dict[str, str]
    attendees: dict[str, Attendee] = field(default_factory=dict)
    # Everyone who ever joined, for a recording's participant count.
    joined_user_ids: set[str] = field(default_factory=set)
    start_time: int = 0
    end_time: int = 0
    forcibly_ended: bool = False

    @property
    def running(self) -> bool:
        return bool(self.joined_user_ids) and not self.end_time


@dataclass
class PlaybackFormat:
    type: str
    url: str
    processing_time: int
    duration_ms: int
    size: int


@dataclass
class Recording:
    record_id: str
    meeting_id: str
    internal_meeting_id: str
    name: str
    start_time: int
    end_time: int
    participants: int
    metadata: dict[str, str]
    state: str
    raw_size: int
    formats: list[PlaybackFormat]
    protected: bool = False

    @property
    def published(self) -> bool:
        return self.state == "published"


@dataclass(frozen=True)
class SeenRequest:
    call: str
    params: dict[str, str]
    host: str
    server_name: str | None


def now_ms() -> int:
    return int(time.time() * 1000)
