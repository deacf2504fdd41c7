"""A managed server's life: requested for a customer, approved (or allocated at once) onto a
free pool host, released back to the pool with its data archived or wiped, its archive purged
after the grace period."""

import shutil
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from panel.accounts.models import User
from panel.coop.models import Member
from panel.coop.notices import shares_under_notice
from panel.core.audit import record, snapshot
from panel.core.errors import MAX_ID, Conflict, ValidationFailed
from panel.core.models import utcnow
from panel.core.roles import Role
from panel.extensions import db
from panel.hosts.models import Host, HostRole, HostState
from panel.provisioning.models import Job
from panel.provisioning.operations import commit_and_dispatch, ensure_idle
from panel.servers.changes import (
    archive_folder,
    queue_apply,
    queue_state_job,
    release_vars,
)
from panel.servers.models import ReleaseMode, Server, ServerDesired, ServerState
from panel.servers.names import clean_mode, clean_stacks
from panel.servers.sizes import Size, size_named

FIELDS = ("member_id", "reseller_id", "customer_id", "size", "stacks", "host_id", "state")
# A server may be released from these; a requested one never had a host and ends at once.
RELEASABLE = (ServerState.REQUESTED, ServerState.ACTIVE, ServerState.FAILED)


def customers_of(user: User) -> list[User]:
    """The customers a new server may be for: a reseller's own, every one for admins."""
    stmt = select(User).where(User.role == Role.CUSTOMER).order_by(User.email)
    if user.role != Role.ADMIN:
        stmt = stmt.where(User.reseller_id == user.id)
    return list(db.session.scalars(stmt))


def customer_for_new_server(user: User, customer_id: Any) -> User:
    """The customer account a new server is for: one of the reseller's (admins: any)."""
    wrong = ValidationFailed.field("customer_id", _l("Not one of your customers."))
    if isinstance(customer_id, str) and customer_id.strip().isdigit():
        customer_id = int(customer_id.strip()) if len(customer_id.strip()) <= 10 else 0
    if isinstance(customer_id, bool) or not isinstance(customer_id, int):
        raise wrong
    if not 0 < customer_id <= MAX_ID:
        raise wrong
    customer = db.session.get(User, customer_id)
    if customer is None or customer.role != Role.CUSTOMER:
        raise wrong
    if user.role != Role.ADMIN and customer.reseller_id != user.id:
        raise wrong
    return customer


def live_servers(member: Member) -> int:
    """The servers the member runs or has asked for: all but the released."""
    return db.session.scalar(
        select(func.count())
        .select_from(Server)
        .where(Server.member_id == member.id, Server.state != ServerState.RELEASED)
    )


def check_shares(member: Member) -> None:
    """The member holds PANEL_SERVER_SHARES_PER_SERVER shares for each of its servers, the new
    one included, not counting shares under notice. The member's row is held until the commit
    (PostgreSQL), so that two requests, or a request and a notice, cannot both count the same
    shares."""
    db.session.refresh(member, with_for_update=True)
    needed = current_app.config["SERVER_SHARES_PER_SERVER"] * (live_servers(member) + 1)
    under_notice = shares_under_notice(member)
    missing = needed - (member.share_count - under_notice)
    if missing > 0 and under_notice:
        raise Conflict(
            _l(
                "With this server the member runs servers that need %(needed)s cooperative "
                "shares; it holds %(held)s, %(under_notice)s of them under notice, %(missing)s "
                "missing.",
                needed=needed,
                held=member.share_count,
                under_notice=under_notice,
                missing=missing,
            )
        )
    if missing > 0:
        raise Conflict(
            _l(
                "With this server the member runs servers that need %(needed)s cooperative "
                "shares; it holds %(held)s, %(missing)s missing.",
                needed=needed,
                held=member.share_count,
                missing=missing,
            )
        )


def free_host(size: Size) -> Host:
    """The smallest ready pool host that no live server holds and whose facts meet SIZE."""
    held = select(Server.host_id).where(
        Server.host_id.is_not(None), Server.state != ServerState.RELEASED
    )
    candidates = db.session.scalars(
        select(Host).where(
            Host.role == HostRole.MANAGED,
            Host.state == HostState.READY,
            Host.id.not_in(held),
        )
    )
    fitting = [host for host in candidates if size.fits(host)]
    if not fitting:
        raise Conflict(
            _l(
                "No free pool host has %(cpus)s CPUs, %(memory)s MiB memory and %(disk)s GiB "
                "disk for the size %(size)s; ask the office.",
                cpus=size.cpus,
                memory=size.memory_mib,
                disk=size.disk_gib,
                size=size.name,
            )
        )
    return min(
        fitting,
        key=lambda host: (host.facts["cpus"], host.facts["memory_bytes"], host.name),
    )


def _allocate(server: Server, host: Host) -> Job:
    """Give the server the host and queue its set-up, in the current transaction."""
    server.host = host
    server.allocated_at = utcnow()
    try:
        db.session.flush()
    except IntegrityError as exc:
        # Another request took the host in the meantime (the index of held hosts).
        db.session.rollback()
        raise Conflict(_l("The pool host was just taken; try again.")) from exc
    return queue_apply(server)


def request_server(
    user: User, customer_id: Any, size: Any, stacks: Any
) -> tuple[Server, Job | None]:
    """A server for the customer: allocated at once with PANEL_SERVER_ALLOCATION=auto, else
    requested until an admin approves it."""
    customer = customer_for_new_server(user, customer_id)
    chosen = size_named("size", size)
    stacks = clean_stacks("stacks", stacks)
    reseller = customer.reseller
    member = reseller.member
    if member is None:
        raise Conflict(_l("The customer's reseller belongs to no member of the cooperative."))
    check_shares(member)
    auto = current_app.config["SERVER_ALLOCATION"] == "auto"
    host = free_host(chosen) if auto else None
    server = Server(
        member_id=member.id,
        reseller_id=reseller.id,
        customer_id=customer.id,
        size=chosen.name,
        stacks=stacks,
        state=ServerState.REQUESTED,
    )
    db.session.add(server)
    db.session.flush()
    record("server.request", server, after=snapshot(server, FIELDS), member_id=member.id)
    job = _allocate(server, host) if host is not None else None
    commit_and_dispatch(job)
    return server, job


def approve_server(server: Server) -> tuple[Server, Job]:
    """An admin's approval of a request: the server gets a free pool host of its size."""
    if server.state != ServerState.REQUESTED:
        raise Conflict(_l("Only a requested server can be approved."))
    before = snapshot(server, FIELDS)
    job = _allocate(server, free_host(size_named("size", server.size)))
    record(
        "server.approve",
        server,
        before=before,
        after=snapshot(server, FIELDS),
        member_id=server.member_id,
    )
    commit_and_dispatch(job)
    return server, job


def release_server(server: Server, mode: Any) -> tuple[Server, Job | None]:
    """Give the host back to the pool: the customer's data archived into the instance folder
    (kept PANEL_SERVER_ARCHIVE_DAYS days) or wiped. A request not yet approved just ends."""
    chosen = ReleaseMode(clean_mode("mode", mode))
    ensure_idle(server)
    # A release that failed may be asked for again, also in the other mode.
    again = server.state == ServerState.FAILED and server.desired == ServerDesired.RELEASED
    if not again and (server.state not in RELEASABLE or server.desired != ServerDesired.ACTIVE):
        raise Conflict(_l("Not possible while the server is %(state)s.", state=server.state))
    before = snapshot(server, FIELDS)
    server.release_mode = chosen
    job = None
    if server.host is None:
        server.state, server.desired = ServerState.RELEASED, ServerDesired.RELEASED
        server.released_at = utcnow()
    else:
        if chosen == ReleaseMode.ARCHIVE:
            archive_folder(server).mkdir(parents=True, exist_ok=True, mode=0o700)
        job = queue_state_job(
            server, "server-release", ServerDesired.RELEASED, release_vars(server, chosen)
        )
    record(
        "server.release",
        server,
        before=before,
        after={**snapshot(server, FIELDS), "mode": chosen},
        member_id=server.member_id,
    )
    commit_and_dispatch(job)
    return server, job


def purge_archives() -> list[Server]:
    """Remove the archives whose grace period is over (periodic)."""
    due = db.session.scalars(
        select(Server).where(
            Server.archive_file.is_not(None), Server.archive_purge_after <= utcnow()
        )
    ).all()
    for server in due:
        shutil.rmtree(archive_folder(server), ignore_errors=True)
        before = {"archive_file": server.archive_file}
        server.archive_file = None
        server.archive_purge_after = None
        record(
            "server.archive_purge",
            server,
            before=before,
            after={"archive_file": None},
            member_id=server.member_id,
        )
        db.session.commit()
    return list(due)
