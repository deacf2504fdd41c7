"""What must hold before a change to a webspace or one of its parts is queued: whom a new
webspace is for, one change at a time per resource, a state that allows it, a webspace that is
set up, room in its plan."""

from typing import Any

from flask_babel import lazy_gettext as _l

from panel.coop.loaders import load_member
from panel.coop.models import Member
from panel.core.access import own_member
from panel.core.errors import Conflict, ValidationFailed
from panel.core.roles import Role
from panel.extensions import db
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


def ensure_idle(resource: Any) -> None:
    """One change at a time per resource: the next waits until the last job has ended. The row
    is locked for the rest of the transaction (on PostgreSQL; SQLite writes one at a time
    anyway), so that two requests cannot both find it idle."""
    # Written first: the refresh would otherwise drop what the caller set on it so far.
    db.session.flush()
    db.session.refresh(resource, with_for_update=True)
    job = resource.last_job
    if job is not None and not job.finished:
        raise Conflict(_l("A change is still being made; try again when its job has ended."))


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
