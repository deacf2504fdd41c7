"""Webspaces and domains in the admins' search: a webspace by its name, a domain by its name
(as typed, or in its ASCII form) leading to its webspace."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from panel.core.labels import label
from panel.core.listing import matching
from panel.core.search import Finder, Hit
from panel.extensions import db
from panel.webspaces.models import Domain, Webspace
from panel.webspaces.names import display_domain, searched_domain_forms


def find_webspaces(text: str, limit: int) -> list[Hit]:
    rows = db.session.scalars(
        select(Webspace)
        .options(joinedload(Webspace.member))
        .where(matching(text, (Webspace.name,)))
        .order_by(Webspace.name, Webspace.id)
        .limit(limit)
    )
    return [
        Hit(
            webspace.name,
            url_for("webspaces.webspace", webspace_id=webspace.id),
            f"{webspace.member.number} {webspace.member.name} · {label(webspace.state)}",
        )
        for webspace in rows
    ]


def find_domains(text: str, limit: int) -> list[Hit]:
    wanted = or_(*(matching(form, (Domain.name,)) for form in searched_domain_forms(text)))
    rows = db.session.scalars(
        select(Domain)
        .options(joinedload(Domain.webspace))
        .where(wanted)
        .order_by(Domain.name, Domain.id)
        .limit(limit)
    )
    return [
        Hit(
            display_domain(domain.name),
            url_for("webspaces.webspace", webspace_id=domain.webspace_id),
            f"{domain.webspace.name} · {label(domain.state)}",
        )
        for domain in rows
    ]


WEBSPACES = Finder(_l("Webspaces"), find_webspaces, 20)
DOMAINS = Finder(_l("Domains"), find_domains, 30)
