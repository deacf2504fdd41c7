"""What must hold before a change to a webspace or one of its parts is queued: whom a new
webspace is for, one change at a time per resource, a state that allows it, a webspace that is
set up, room in its plan."""

from typing import Any

from flask_babel import lazy_gettext as _l

from panel.coop.loaders import load_member, member_by_number
from panel.coop.models import Member
from panel.core.access import own_member
from panel.core.errors import Conflict, ValidationFailed
from panel.core.roles import Role
from panel.webspaces.models import Database, Desired, State, Webspace


def member_for_new_webspace(user: Any, member_id: Any = None, host: Any = None) -> Member:
    """Whom a new webspace is for: an admin names the member (and may name the host); everyone
    else creates for their own member and chooses neither."""
    if user.role == Role.ADMIN:
        if member_id in (None, ""):
            raise ValidationFailed.field("member_id", _l("Name the member the webspace is for."))
        return load_member(member_id)
    if member_id not in (None, user.member_id) or host not in (None, ""):
        raise ValidationFailed(_l("Only admins choose the member or the host."))
    return own_member(user)


def member_id_for_number(text: str | None) -> int:
    """The id of the member an admin named by number in the new-webspace form."""
    if not text or not text.strip():
        raise ValidationFailed.field("member_number", _l("Name the member the webspace is for."))
    member = member_by_number(text)
    if member is None:
        raise ValidationFailed.field(
            "member_number",
            _l(
                "No member has the number %(number)s; look it up in the member register.",
                number=text.strip()[:20],
            ),
        )
    return member.id


def ensure_state(resource: Webspace | Database, allowed: tuple) -> None:
    """The webspace's or database's state is one the change is allowed from."""
    if resource.state in allowed:
        return
    if isinstance(resource, Database):
        raise Conflict(_l("Not possible while the database is %(state)s.", state=resource.state))
    raise Conflict(_l("Not possible while the webspace is %(state)s.", state=resource.state))


def ensure_usable(webspace: Webspace) -> None:
    """Domains, databases and users are added only to a webspace that is set up."""
    if webspace.state not in (State.ACTIVE, State.SUSPENDED) or webspace.desired in (
        Desired.ARCHIVED,
        Desired.PURGED,
    ):
        raise Conflict(_l("Not possible while the webspace is %(state)s.", state=webspace.state))


def live(items) -> int:
    """What counts against the plan: all but the deleted, and domain claims that were lost."""
    return sum(1 for item in items if item.state not in (State.DELETED, State.LOST))


def check_limit(webspace: Webspace, kind: str) -> None:
    """Before a job is queued: the plan's limit for domains, databases or users."""
    items = {
        "max_domains": webspace.domains,
        "max_databases": webspace.databases,
        "max_users": webspace.sftp_users,
    }[kind]
    if live(items) >= getattr(webspace, kind):
        raise Conflict(
            _l(
                "The webspace's plan allows %(count)s; delete one or ask the office for more.",
                count=getattr(webspace, kind),
            )
        )


def refusal(webspace: Webspace, kind: str) -> str | None:
    """Why adding a domain, database or user (KIND: its plan limit, e.g. "max_domains") would
    be refused now, so that the page says so instead of offering a form that cannot succeed;
    None when it would be accepted."""
    try:
        ensure_usable(webspace)
        check_limit(webspace, kind)
    except Conflict as exc:
        return str(exc.message)
    return None
