"""What a release upgrade of a host means for the webspaces on it: the upgrade sets each up again
on the new release (its PHP-FPM moves to the new PHP version) and checks that their sites still
answer; afterwards each webspace and its domains get their own jobs again."""

from sqlalchemy import select

from panel.extensions import db
from panel.hosts.models import Host
from panel.provisioning.operations import dispatch_after_commit
from panel.webspaces.changes import queue_change
from panel.webspaces.domains import domain_vars
from panel.webspaces.models import Desired, State, Webspace
from panel.webspaces.operations import webspace_vars

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


def set_up_again(host: Host) -> None:
    """After the host's release upgrade: a job for each webspace served on it and each of its
    active domains, queued once the caller commits."""
    for webspace in _served_webspaces([host.name]):
        desired = Desired(webspace.desired)
        dispatch_after_commit(queue_change(webspace, desired, webspace_vars(webspace, desired)))
        for domain in webspace.domains:
            if domain.state == State.ACTIVE:
                job = queue_change(domain, Desired.ACTIVE, domain_vars(domain, Desired.ACTIVE))
                dispatch_after_commit(job)
