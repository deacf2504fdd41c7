"""The webspaces and the domains lists: their sortable columns, and their free text, which
finds a webspace or a domain by its name, its member's number or name, or one of its domains
(the webspace's)."""

from sqlalchemy import exists, or_

from panel.coop.models import Member
from panel.core.listing import Listing, matching
from panel.hosts.models import Host
from panel.webspaces.models import Domain, Webspace
from panel.webspaces.names import searched_domain_forms


def _search(text: str):
    domain_found = exists().where(
        Domain.webspace_id == Webspace.id,
        or_(*(matching(form, (Domain.name,)) for form in searched_domain_forms(text))),
    )
    return or_(matching(text, (Webspace.name, Member.number, Member.name)), domain_found)


WEBSPACE_LIST = Listing(
    sorts={
        "name": Webspace.name,
        "member": Member.number,
        "host": Host.name,
        "state": Webspace.state,
    },
    tiebreaker=Webspace.id,
    search=_search,
)


def _domain_search(text: str):
    return or_(
        *(matching(form, (Domain.name,)) for form in searched_domain_forms(text)),
        matching(text, (Webspace.name, Member.number, Member.name)),
    )


DOMAIN_LIST = Listing(
    sorts={
        "name": Domain.name,
        "webspace": Webspace.name,
        "member": Member.number,
        "state": Domain.state,
        "certificate": Domain.tls_not_after,
    },
    tiebreaker=Domain.id,
    search=_domain_search,
)
