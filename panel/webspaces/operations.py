"""Every change to webspaces: create, suspend and unsuspend, delete (archive), restore, purge,
and their limits."""

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from panel.coop.models import Member
from panel.core.audit import record, snapshot
from panel.core.errors import Conflict, PanelError, ValidationFailed
from panel.core.models import utcnow
from panel.core.validators import clean_positive_int, reject_unknown
from panel.extensions import db
from panel.hosts.models import Host, HostRole, HostState
from panel.notifications import events
from panel.provisioning.models import Job
from panel.provisioning.operations import commit_and_dispatch, ensure_idle
from panel.webspaces.changes import change, purge_due, queue_change, ride_along
from panel.webspaces.databases import queue_database
from panel.webspaces.domains import domain_vars, new_domain, record_created
from panel.webspaces.guards import live
from panel.webspaces.models import Database, Desired, Domain, SftpUser, State, Webspace
from panel.webspaces.names import clean_webspace_name
from panel.webspaces.sftp_users import sftp_user_vars

FIRST_DOMAIN_FIELDS = ("name", "www_alias", "tls", "redirect", "document_root")
FIELDS = ("name", "member_id", "host_id", "state", "desired", "quota_mib", "max_domains")
# The plan limits an admin may set, lowest and highest: counts may be 0 (none allowed), the
# disk quota needs at least 1 MiB.
LIMIT_RANGES = {
    "max_domains": (0, 1000),
    "max_databases": (0, 100),
    "max_users": (0, 100),
    "quota_mib": (1, 10 * 1024 * 1024),
}
LIMITS = tuple(LIMIT_RANGES)
# Hosts count a webspace against their capacity until it is purged.
HOLDS_CAPACITY = (
    State.PENDING,
    State.ACTIVE,
    State.FAILED,
    State.SUSPENDED,
    State.DELETING,
    State.DELETED,
)


def webspace_vars(webspace: Webspace, desired: Desired) -> dict[str, Any]:
    """The extra vars of playbooks/webspace.yml (see its header)."""
    return {
        "webspace_name": webspace.name,
        "webspace_state": desired.value,
        "webspace_quota_soft_mib": webspace.quota_mib,
        "webspace_quota_hard_mib": webspace.quota_mib + webspace.quota_mib // 10,
        "webspace_archive_days": current_app.config["WEBSPACE_ARCHIVE_DAYS"],
    }


def next_name(member: Member) -> str:
    taken = set(db.session.scalars(select(Webspace.name).where(Webspace.member_id == member.id)))
    for number in range(100):
        name = f"{member.prefix}{number:02d}"
        if name not in taken:
            return name
    raise Conflict(_l("All 100 webspace names of your prefix are in use."))


def used_capacity() -> dict[int, int]:
    rows = db.session.execute(
        select(Webspace.host_id, func.count())
        .where(Webspace.purged_at.is_(None))
        .group_by(Webspace.host_id)
    )
    return dict(rows.all())


def ready_hosts() -> list[Host]:
    """The hosts a new webspace may be placed on."""
    stmt = select(Host).where(Host.role == HostRole.WEBSPACE, Host.state == HostState.READY)
    return list(db.session.scalars(stmt.order_by(Host.name)))


def place(host_name: Any = None) -> Host:
    """The ready webspace host an admin chose, or the one with the most free capacity. When no
    webspace host is ready at all the admins hear of it (once until they read it): that is not
    a matter of room."""
    hosts = ready_hosts()
    used = used_capacity()
    if host_name not in (None, ""):
        chosen = [host for host in hosts if host.name == host_name]
        if not chosen:
            raise ValidationFailed.field("host", _l("No ready webspace host of that name."))
        return chosen[0]
    if not hosts:
        events.no_webspace_host()
        # Kept although the caller's change fails: the office must hear of it.
        db.session.commit()
        raise Conflict(
            _l(
                "No webspace host is reachable right now, so no webspace can be made; the "
                "office has been told. Please try again later."
            )
        )
    free = [(host.capacity - used.get(host.id, 0), host.name, host) for host in hosts]
    free = sorted(
        (entry for entry in free if entry[0] > 0), key=lambda entry: (-entry[0], entry[1])
    )
    if not free:
        raise Conflict(_l("No webspace host has room for another webspace; ask the office."))
    return free[0][2]


def create_webspace(
    member: Member, name: Any = None, host: Any = None, first_domain: Any = None
) -> tuple[Webspace, Job]:
    """A webspace for the member on a host with room; its job sets it up there, with
    FIRST_DOMAIN (name, www_alias, tls, redirect, document_root) when one is given and needs no
    ownership check, else that domain waits for the check as an added one does."""
    name = (
        next_name(member)
        if name in (None, "")
        else clean_webspace_name("name", name, member.prefix)
    )
    if db.session.scalar(select(Webspace.id).where(Webspace.name == name)) is not None:
        raise Conflict(_l("This webspace name is taken."), {"name": [_l("Taken.")]})
    config = current_app.config
    webspace = Webspace(
        member_id=member.id,
        name=name,
        host=place(host),
        max_domains=config["WEBSPACE_MAX_DOMAINS"],
        max_databases=config["WEBSPACE_MAX_DATABASES"],
        max_users=config["WEBSPACE_MAX_USERS"],
        quota_mib=config["WEBSPACE_QUOTA_MIB"],
    )
    db.session.add(webspace)
    db.session.flush()
    domain = _first_domain(webspace, first_domain)
    job = queue_change(webspace, Desired.ACTIVE, webspace_vars(webspace, Desired.ACTIVE))
    record("webspace.create", webspace, after=snapshot(webspace, FIELDS), member_id=member.id)
    if domain is not None:
        if domain.verified_at is not None:
            ride_along(domain, job, domain_vars(domain, Desired.ACTIVE))
        record_created(domain)
    commit_and_dispatch(job)
    return webspace, job


def _first_domain(webspace: Webspace, given: Any) -> Domain | None:
    if given in (None, {}):
        return None
    if not isinstance(given, dict):
        raise ValidationFailed.field("first_domain", _l("An object with the domain's name."))
    options = {key: given[key] for key in FIRST_DOMAIN_FIELDS[1:] if key in given}
    try:
        reject_unknown(given, FIRST_DOMAIN_FIELDS)
        # A webspace being created may have its first domain before it is set up.
        return new_domain(webspace, given.get("name"), **options, set_up=False)
    except PanelError as exc:
        raise exc.within("first_domain") from exc


def _change_all(
    webspace: Webspace,
    desired: Desired,
    action: str,
    allowed: tuple,
    follow: Callable[[Any], Desired | None] = lambda part: None,
) -> tuple[Webspace, Job]:
    """change() of the webspace, with those of its databases and users that change along with
    it: FOLLOW gives a part's new desired state, or None to leave it be."""
    moves = [(part, follow(part)) for part in (*webspace.databases, *webspace.sftp_users)]
    parts = [(part, target) for part, target in moves if target is not None]
    return change(webspace, desired, action, allowed, fields=FIELDS, queue=queue_part, parts=parts)


def queue_part(resource: Webspace | Domain | Database | SftpUser, desired: Desired) -> Job:
    """The job of the webspace, or of one of its domains, databases and users, towards DESIRED,
    in the current transaction."""
    if isinstance(resource, Database):
        return queue_database(resource, desired)
    if isinstance(resource, SftpUser):
        return queue_change(resource, desired, sftp_user_vars(resource, desired))
    if isinstance(resource, Domain):
        return queue_change(resource, desired, domain_vars(resource, desired))
    return queue_change(resource, desired, webspace_vars(resource, desired))


def _on_delete(part: Any) -> Desired | None:
    """Databases are archived with their webspace; SFTP users end (added again after a
    restore, since their home is gone meanwhile)."""
    if isinstance(part, Database):
        live = part.desired in (Desired.ACTIVE, Desired.RESTORED)
        return Desired.ARCHIVED if live else None
    return Desired.ABSENT if part.desired == Desired.ACTIVE else None


def _on_restore(part: Any) -> Desired | None:
    archived = isinstance(part, Database) and part.desired == Desired.ARCHIVED
    return Desired.RESTORED if archived else None


def _on_purge(part: Any) -> Desired | None:
    archived = isinstance(part, Database) and part.desired == Desired.ARCHIVED
    return Desired.PURGED if archived else None


def suspend_webspace(webspace: Webspace) -> tuple[Webspace, Job]:
    """The site answers 503 with a page saying so; data and settings stay as they are."""
    allowed = (State.ACTIVE, State.FAILED)
    ensure_idle(webspace)
    if webspace.desired != Desired.ACTIVE or webspace.state not in allowed:
        raise Conflict(_l("Not possible while the webspace is %(state)s.", state=webspace.state))
    webspace.suspended_at = utcnow()
    return _change_all(webspace, Desired.SUSPENDED, "webspace.suspend", allowed)


def unsuspend_webspace(webspace: Webspace) -> tuple[Webspace, Job]:
    allowed = (State.SUSPENDED, State.FAILED)
    ensure_idle(webspace)
    if webspace.desired != Desired.SUSPENDED or webspace.state not in allowed:
        raise Conflict(_l("The webspace is not suspended."))
    webspace.suspended_at = None
    return _change_all(webspace, Desired.ACTIVE, "webspace.unsuspend", allowed)


def delete_webspace(webspace: Webspace) -> tuple[Webspace, Job]:
    """Offline at once; the home is archived on the host until the grace period ends."""
    if webspace.desired in (Desired.ARCHIVED, Desired.PURGED):
        raise Conflict(_l("The webspace is already deleted."))
    return _change_all(
        webspace,
        Desired.ARCHIVED,
        "webspace.delete",
        (State.ACTIVE, State.SUSPENDED, State.FAILED, State.PENDING),
        _on_delete,
    )


def restore_webspace(webspace: Webspace) -> tuple[Webspace, Job]:
    if webspace.desired != Desired.ARCHIVED or webspace.purged_at is not None:
        raise Conflict(_l("Only a deleted webspace can be restored, within its grace period."))
    # A webspace deleted while suspended comes back suspended: deleting is no way around that.
    back = Desired.SUSPENDED if webspace.suspended_at else Desired.ACTIVE
    return _change_all(
        webspace, back, "webspace.restore", (State.DELETED, State.FAILED), _on_restore
    )


def purge_webspace(webspace: Webspace) -> tuple[Webspace, Job]:
    """Removes the archive for good (the grace period's end, or an admin's decision)."""
    if webspace.desired not in (Desired.ARCHIVED, Desired.PURGED) or webspace.purged_at:
        raise Conflict(_l("Only a deleted webspace can be purged."))
    return _change_all(
        webspace, Desired.PURGED, "webspace.purge", (State.DELETED, State.FAILED), _on_purge
    )


def purge_expired() -> list[Webspace]:
    """Deleted webspaces whose grace period is over are purged (periodic)."""
    return purge_due(Webspace, purge_webspace)


def update_limits(webspace: Webspace, data: dict[str, Any]) -> Webspace:
    """The plan limits of a webspace (admins). Lower than what it holds already is refused."""
    reject_unknown(data, LIMITS)
    values = {name: _clean_limit(name, value) for name, value in data.items()}
    held = {
        "max_domains": live(webspace.domains),
        "max_databases": live(webspace.databases),
        "max_users": live(webspace.sftp_users),
    }
    for name, count in held.items():
        if values.get(name, count) < count:
            raise ValidationFailed.field(
                name, _l("The webspace already holds %(count)s.", count=count)
            )
    quota_changed = values.get("quota_mib", webspace.quota_mib) != webspace.quota_mib
    on_host = webspace.desired in (Desired.ACTIVE, Desired.SUSPENDED)
    if quota_changed and on_host:
        ensure_idle(webspace)
    before = snapshot(webspace, LIMITS)
    for name, value in values.items():
        setattr(webspace, name, value)
    job = None
    if quota_changed and on_host:
        # The new quota reaches the host with the webspace's own job, in its current state.
        desired = Desired(webspace.desired)
        job = queue_change(webspace, desired, webspace_vars(webspace, desired))
    record(
        "webspace.limits",
        webspace,
        before=before,
        after=snapshot(webspace, LIMITS),
        member_id=webspace.member_id,
    )
    commit_and_dispatch(job)
    return webspace


def _clean_limit(name: str, value: Any) -> int:
    lowest, highest = LIMIT_RANGES[name]
    if lowest == 0 and value == 0 and not isinstance(value, bool):
        return 0
    return clean_positive_int(name, value, maximum=highest)
