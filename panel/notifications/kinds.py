"""The kinds of notification, who gets each, and their names on the settings page."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Kind(StrEnum):
    JOB_FAILED = "job_failed"
    HOST_UNREACHABLE = "host_unreachable"
    CERTIFICATE_FAILED = "certificate_failed"
    METERING_FAILED = "metering_failed"
    NO_WEBSPACE_HOST = "no_webspace_host"
    INVOICE_ISSUED = "invoice_issued"
    RESOURCE_FAILED = "resource_failed"
    RESOLUTION_PHASE = "resolution_phase"
    RESOLUTION_REMINDER = "resolution_reminder"
    RESOLUTION_RESULT = "resolution_result"


# What the office must act on; the rest goes to the member who owns the thing.
ADMIN_KINDS = (
    Kind.JOB_FAILED,
    Kind.HOST_UNREACHABLE,
    Kind.CERTIFICATE_FAILED,
    Kind.METERING_FAILED,
    Kind.NO_WEBSPACE_HOST,
)
MEMBER_KINDS = (
    Kind.INVOICE_ISSUED,
    Kind.RESOURCE_FAILED,
    Kind.RESOLUTION_PHASE,
    Kind.RESOLUTION_REMINDER,
    Kind.RESOLUTION_RESULT,
)

KIND_NAMES = {
    Kind.JOB_FAILED: _l("A job failed or was lost"),
    Kind.HOST_UNREACHABLE: _l("A host became unreachable"),
    Kind.CERTIFICATE_FAILED: _l("A certificate could not be issued"),
    Kind.METERING_FAILED: _l("The usage collection failed"),
    Kind.NO_WEBSPACE_HOST: _l("No webspace host was reachable for a new webspace"),
    Kind.INVOICE_ISSUED: _l("An invoice was issued to you"),
    Kind.RESOURCE_FAILED: _l("One of your resources failed"),
    Kind.RESOLUTION_PHASE: _l("A resolution's discussion or vote opened"),
    Kind.RESOLUTION_REMINDER: _l("A resolution's discussion or vote ends tomorrow"),
    Kind.RESOLUTION_RESULT: _l("The result of a resolution"),
}


def kinds_for(role: str) -> tuple[Kind, ...]:
    """The kinds a user of ROLE can get."""
    return ADMIN_KINDS if role == "admin" else MEMBER_KINDS
