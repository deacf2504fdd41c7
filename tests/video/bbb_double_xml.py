"""The BigBlueButton test double's answers, shaped like BBB's documented XML
(https://docs.bigbluebutton.org/development/api/): element names as BBB's, so that BBBLB's
parser and third-party clients read them."""

from collections.abc import Mapping
from email.utils import formatdate
from xml.etree.ElementTree import Element, SubElement, tostring

from bbb_double_state import Meeting, Recording


def response(
    returncode: str, fields: Mapping[str, object], message_key: str = "", message: str = ""
) -> Element:
    response = Element("response")
    add_fields(response, {"returncode": returncode, **fields})
    if message_key:
        add_fields(response, {"messageKey": message_key, "message": message})
    return response


def add_fields(parent: Element, fields: Mapping[str, object]) -> None:
    for name, value in fields.items():
        if isinstance(value, Element):
            parent.append(value)
        else:
            child = SubElement(parent, name)
            if isinstance(value, bool):
                child.text = "true" if value else "false"
            else:
                child.text = str(value)


def xml_bytes(element: Element) -> bytes:
    return tostring(element, encoding="utf-8", xml_declaration=True)


def creation_fields(meeting: Meeting) -> dict[str, object]:
    return {
        "meetingID": meeting.meeting_id,
        "internalMeetingID": meeting.internal_id,
        "parentMeetingID": "bbb-none",
        "attendeePW": meeting.attendee_pw,
        "moderatorPW": meeting.moderator_pw,
        "createTime": meeting.create_time,
        "voiceBridge": meeting.voice_bridge,
        "dialNumber": "613-555-1234",
        "createDate": formatdate(meeting.create_time / 1000, usegmt=True),
        "hasUserJoined": bool(meeting.joined_user_ids),
        "duration": meeting.duration,
        "hasBeenForciblyEnded": meeting.forcibly_ended,
    }


def meeting_element(meeting: Meeting) -> Element:
    """A meeting as getMeetings and getMeetingInfo show it."""
    element = Element("meeting")
    attendees = Element("attendees")
    for attendee in meeting.attendees.values():
        add_fields(
            SubElement(attendees, "attendee"),
            {
                "userID": attendee.user_id,
                "fullName": attendee.full_name,
                "role": attendee.role,
                "isPresenter": attendee.role == "MODERATOR",
                "isListeningOnly": False,
                "hasJoinedVoice": False,
                "hasVideo": False,
                "clientType": "HTML5",
            },
        )
    metadata = Element("metadata")
    add_fields(metadata, meeting.metadata)
    moderators = sum(a.role == "MODERATOR" for a in meeting.attendees.values())
    add_fields(
        element,
        {
            "meetingName": meeting.name,
            "meetingID": meeting.meeting_id,
            "internalMeetingID": meeting.internal_id,
            "createTime": meeting.create_time,
            "createDate": formatdate(meeting.create_time / 1000, usegmt=True),
            "voiceBridge": meeting.voice_bridge,
            "dialNumber": "613-555-1234",
            "attendeePW": meeting.attendee_pw,
            "moderatorPW": meeting.moderator_pw,
            "running": meeting.running,
            "duration": meeting.duration,
            "hasUserJoined": bool(meeting.joined_user_ids),
            "recording": meeting.record,
            "hasBeenForciblyEnded": meeting.forcibly_ended,
            "startTime": meeting.start_time,
            "endTime": meeting.end_time,
            "participantCount": len(meeting.attendees),
            "listenerCount": 0,
            "voiceParticipantCount": 0,
            "videoCount": 0,
            "maxUsers": meeting.max_participants,
            "moderatorCount": moderators,
            "attendees": attendees,
            "metadata": metadata,
            "isBreakout": False,
        },
    )
    return element


def recording_element(recording: Recording) -> Element:
    """A recording as getRecordings shows it."""
    element = Element("recording")
    metadata = Element("metadata")
    add_fields(metadata, recording.metadata)
    playback = Element("playback")
    for playback_format in recording.formats:
        add_fields(
            SubElement(playback, "format"),
            {
                "type": playback_format.type,
                "url": playback_format.url,
                "processingTime": playback_format.processing_time,
                "length": playback_format.duration_ms // 60000,
                "size": playback_format.size,
            },
        )
    add_fields(
        element,
        {
            "recordID": recording.record_id,
            "meetingID": recording.meeting_id,
            "internalMeetingID": recording.internal_meeting_id,
            "name": recording.name,
            "isBreakout": False,
            "published": recording.published,
            "protected": recording.protected,
            "state": recording.state,
            "startTime": recording.start_time,
            "endTime": recording.end_time,
            "participants": recording.participants,
            "rawSize": recording.raw_size,
            "metadata": metadata,
            "playback": playback,
        },
    )
    return element
