"""What a release upgrade of a host means for the webspaces on it: the upgrade sets each up again
on the new release (its PHP-FPM moves to the new PHP version) and checks that their sites still
answer; afterwards their domains, databases and SFTP users get their own jobs again."""

from sqlalchemy import select

from panel.extensions import db
from panel.hosts.models import Host
from panel.provisioning.operations import dispatch_after_commit
from panel.webspaces.models import Desired, State, Webspace
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


def set_up_again(host: Host) -> None:
    """After the host's release upgrade, which set each webspace up again itself: a job for each
    of their domains, databases and SFTP users in service, so that each is set up on the new
    release's nginx, database servers and OpenSSH; queued once the caller commits."""
    for webspace in _served_webspaces([host.name]):
        for part in (*webspace.domains, *webspace.databases, *webspace.sftp_users):
            if part.state == State.ACTIVE:
                dispatch_after_commit(queue_part(part, Desired.ACTIVE))
