"""What a release upgrade of a host means for the webspaces on it: the upgrade sets each up again
on the new release (its PHP-FPM moves to the new PHP version) and checks that their sites still
answer; afterwards their domains, databases and SFTP users get their own jobs again. The same,
webspaces included, when an update of the panel changed what the playbooks set up."""

from sqlalchemy import select

from panel.core.audit import record
from panel.extensions import db
from panel.hosts.models import Host
from panel.provisioning.models import Job
from panel.provisioning.operations import dispatch_after_commit
from panel.webspaces.models import Database, Desired, Domain, SftpUser, State, Webspace
from panel.webspaces.operations import queue_part, webspace_vars

# A webspace or domain in one of these states runs on its host; the others are on their way
# there or away, and their own jobs set them up.
SERVED = (State.ACTIVE, State.SUSPENDED)


def _served_webspaces(host_names: list[str]) -> list[Webspace]:
    query = (
        select(Webspace)
        .join(Host, Webspace.host_id == Host.id)
        .where(Host.name.in_(host_names), Webspace.state.in_(SERVED))
        .order_by(Webspace.name)
    )
    return list(db.session.scalars(query))


def upgrade_variables(host_names: list[str]) -> dict[str, list]:
    """The webspaces on the hosts of HOST_NAMES, to be set up again, and the domains they serve,
    to be checked, as dist-upgrade.yml takes them."""
    webspaces = _served_webspaces(host_names)
    return {
        "dist_upgrade_webspaces": [
            webspace_vars(webspace, Desired(webspace.desired)) for webspace in webspaces
        ],
        "dist_upgrade_sites": [
            domain.name
            for webspace in webspaces
            for domain in webspace.domains
            if domain.state == State.ACTIVE
        ],
    }


def _parts_in_service(webspace: Webspace) -> list[Domain | Database | SftpUser]:
    parts = (*webspace.domains, *webspace.databases, *webspace.sftp_users)
    return [part for part in parts if part.state == State.ACTIVE]


def set_up_again(host: Host) -> None:
    """After the host's release upgrade, which set each webspace up again itself: a job for each
    of their domains, databases and SFTP users in service, so that each is set up on the new
    release's nginx, database servers and OpenSSH; queued once the caller commits."""
    for webspace in _served_webspaces([host.name]):
        for part in _parts_in_service(webspace):
            dispatch_after_commit(queue_part(part, Desired.ACTIVE))


def reapply(host: Host) -> list[Job]:
    """Each webspace in service on HOST, then its domains, databases and SFTP users in service,
    set up again by the playbooks as they are now: after an update of the panel changed what they
    set up (a site's nginx rules, PHP's modules), which a resource otherwise gets only with its
    next change. One on its way elsewhere (pending, failed, deleting) is left to its own job.
    Queued once the caller commits."""
    jobs = []
    for webspace in _served_webspaces([host.name]):
        kept = Desired.SUSPENDED if webspace.state == State.SUSPENDED else Desired.ACTIVE
        jobs.append(queue_part(webspace, kept))
        jobs.extend(queue_part(part, Desired.ACTIVE) for part in _parts_in_service(webspace))
    for job in jobs:
        dispatch_after_commit(job)
    record("webspaces.reapply", host, after={"jobs": [job.id for job in jobs]})
    return jobs
