"""Every change to domains: add (with the ownership check), verify, change, remove, and the
retries of failed certificates. Who may hold a name: panel/webspaces/claims.py."""

from pathlib import Path
from typing import Any

import dns.exception
import dns.resolver
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.core.audit import current_actor, record, snapshot
from panel.core.errors import Conflict, ValidationFailed
from panel.core.models import utcnow
from panel.core.roles import Role
from panel.core.validators import reject_unknown
from panel.extensions import db
from panel.provisioning.models import Job
from panel.provisioning.operations import commit_and_dispatch, ensure_idle
from panel.webspaces import claims
from panel.webspaces.changes import queue_change
from panel.webspaces.guards import check_limit, ensure_usable
from panel.webspaces.models import Desired, Domain, State, Webspace
from panel.webspaces.names import (
    clean_document_root,
    clean_flag,
    clean_redirect,
    clean_site_name,
    display_domain,
)
from panel.webspaces.tls import due_checks, due_retries

FIELDS = ("name", "webspace_id", "www_alias", "redirect", "document_root", "tls", "state")
VERIFICATION_LABEL = "_panel-verification"
VERIFICATION_PREFIX = "panel-verification="
DNS_TIMEOUT = 5.0


def verification_record(domain: Domain) -> tuple[str, str]:
    """The TXT record (name, value) that proves control over the domain."""
    return (
        f"{VERIFICATION_LABEL}.{domain.name}",
        f"{VERIFICATION_PREFIX}{domain.verification_token}",
    )


def domain_vars(domain: Domain, desired: Desired) -> dict[str, Any]:
    """The extra vars of playbooks/domain.yml (see its header)."""
    config = current_app.config
    ca_file = config["ACME_CA_FILE"]
    webspace = domain.webspace
    return {
        "webspace_name": webspace.name,
        "webspace_state": webspace.desired,
        "domain_name": domain.name,
        "domain_state": desired.value,
        "domain_aliases": [f"www.{domain.name}"] if domain.www_alias else [],
        "domain_redirect": domain.redirect,
        "domain_document_root": domain.document_root,
        "domain_tls": domain.tls,
        "acme_directory_url": config["ACME_DIRECTORY_URL"],
        "acme_email": config["ACME_EMAIL"],
        "acme_ca_cert": Path(ca_file).read_text() if ca_file else "",
    }


def needs_verification(name: str, webspace: Webspace) -> bool:
    """Admins, the cooperative's own zone, and subdomains of a domain the member has already
    proven are exempt."""
    config = current_app.config
    actor = current_actor()
    if config["DOMAIN_VERIFICATION"] != "on" or getattr(actor, "role", None) == Role.ADMIN:
        return False
    zone = config["OWN_ZONE"].strip(".").lower()
    if zone and name.endswith(f".{zone}"):
        return False
    parents = [name.split(".", depth)[-1] for depth in range(1, name.count("."))]
    proven = db.session.scalar(
        select(Domain.id).where(
            Domain.member_id == webspace.member_id,
            Domain.name.in_(parents),
            Domain.verified_at.is_not(None),
            Domain.state != State.DELETED,
        )
    )
    return proven is None


def add_domain(webspace: Webspace, name: Any, **options: Any) -> tuple[Domain, Job | None]:
    """Add a domain to the webspace (OPTIONS: new_domain's www_alias, redirect, document_root,
    tls); it goes live at once, or after the ownership check."""
    domain = new_domain(webspace, name, **options)
    job = None
    if domain.verified_at is not None:
        job = queue_change(domain, Desired.ACTIVE, domain_vars(domain, Desired.ACTIVE))
    record_created(domain)
    commit_and_dispatch(job)
    return domain, job


def new_domain(
    webspace: Webspace,
    name: Any,
    *,
    www_alias: Any = False,
    redirect: Any = "",
    document_root: Any = None,
    tls: Any = True,
    set_up: bool = True,
) -> Domain:
    """A new domain of the webspace, in the current transaction, verified at once unless its
    ownership must be checked first; SET_UP: only once the webspace is set up. The caller
    queues its job and records it (record_created)."""
    name = clean_site_name("name", name)
    www_alias = clean_flag("www_alias", www_alias)
    tls = clean_flag("tls", tls)
    redirect = clean_redirect("redirect", redirect)
    document_root = clean_document_root("document_root", document_root, f"domains/{name}/htdocs")
    if set_up:
        ensure_usable(webspace)
    check_limit(webspace, "max_domains")
    served = claims.served_names(name, www_alias)
    claims.lock_names(served)
    claims.ensure_free(served, webspace.member_id, "name")
    domain = Domain(
        webspace=webspace,
        member_id=webspace.member_id,
        name=name,
        www_alias=www_alias,
        redirect=redirect,
        document_root=document_root,
        tls=tls,
        verification_token=claims.claim_token(webspace.member_id, name),
        state=State.UNVERIFIED,
        desired=Desired.ACTIVE,
    )
    db.session.add(domain)
    db.session.flush()
    if not needs_verification(name, webspace):
        domain.verified_at = utcnow()
        claims.lose_claims(domain, served)
    return domain


def record_created(domain: Domain) -> None:
    record("domain.create", domain, after=snapshot(domain, FIELDS), member_id=domain.member_id)


def lookup_txt(name: str) -> list[str]:
    resolver = dns.resolver.Resolver(configure=not current_app.config["DNS_RESOLVER"])
    if current_app.config["DNS_RESOLVER"]:
        address, _, port = current_app.config["DNS_RESOLVER"].partition(":")
        resolver.nameservers = [address]
        resolver.port = int(port or 53)
    resolver.lifetime = DNS_TIMEOUT
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
        return []
    except dns.exception.Timeout as exc:
        raise Conflict(_l("The DNS did not answer in time; try again shortly.")) from exc
    return [b"".join(record.strings).decode(errors="replace") for record in answer]


def _ensure_claim(domain: Domain) -> None:
    """Only an unverified claim can be proven; a lost one says why it cannot."""
    if domain.state == State.LOST:
        raise Conflict(claims.shown_reason(domain))
    if domain.state != State.UNVERIFIED:
        raise Conflict(_l("This domain needs no verification."))


def verify_domain(domain: Domain) -> tuple[Domain, Job]:
    """Check the TXT record; when it is there, the domain goes live, unless another member
    proved control first: then the claim is lost, and the answer says so."""
    _ensure_claim(domain)
    ensure_usable(domain.webspace)
    record_name, value = verification_record(domain)
    if value not in lookup_txt(record_name):
        raise ValidationFailed.field(
            "name",
            _l(
                "No TXT record %(name)s with the value %(value)s was found yet.",
                name=record_name,
                value=value,
            ),
        )
    # Asked again under the names' lock: another claim may have won while the DNS answered.
    claims.lock_names(claims.served_names(domain.name, True))
    ensure_idle(domain)
    _ensure_claim(domain)
    if claims.held_elsewhere([domain.name], domain.member_id):
        claims.lose(domain)
        db.session.commit()
        raise Conflict(claims.shown_reason(domain))
    served = claims.served_names(domain.name, domain.www_alias)
    if claims.held_elsewhere(served, domain.member_id):
        raise Conflict(
            _l(
                "Another member serves www.%(name)s; turn off the www alias, then verify again.",
                name=display_domain(domain.name),
            ),
            {"www_alias": [_l("Taken.")]},
        )
    domain.verified_at = utcnow()
    claims.lose_claims(domain, served)
    job = queue_change(domain, Desired.ACTIVE, domain_vars(domain, Desired.ACTIVE))
    record(
        "domain.verify",
        domain,
        after={"verified_at": domain.verified_at},
        member_id=domain.member_id,
    )
    commit_and_dispatch(job)
    return domain, job


def update_domain(domain: Domain, data: dict[str, Any]) -> tuple[Domain, Job | None]:
    reject_unknown(data, ("www_alias", "redirect", "document_root", "tls"))
    claims.lock_names(claims.served_names(domain.name, True))
    ensure_idle(domain)
    ensure_usable(domain.webspace)
    if domain.state == State.LOST:
        raise Conflict(claims.shown_reason(domain))
    if domain.desired == Desired.ABSENT:
        raise Conflict(_l("The domain is being removed."))
    values = {
        "www_alias": clean_flag("www_alias", data.get("www_alias", domain.www_alias)),
        "tls": clean_flag("tls", data.get("tls", domain.tls)),
        "redirect": clean_redirect("redirect", data.get("redirect", domain.redirect)),
        "document_root": clean_document_root(
            "document_root", data.get("document_root", domain.document_root), domain.document_root
        ),
    }
    alias = [f"www.{domain.name}"]
    if values["www_alias"]:
        claims.ensure_free(alias, domain.member_id, "www_alias", exclude=domain.id)
    before = snapshot(domain, FIELDS)
    for name, value in values.items():
        setattr(domain, name, value)
    job = None
    if domain.state != State.UNVERIFIED:
        if domain.www_alias:
            claims.lose_claims(domain, alias)
        job = queue_change(domain, Desired.ACTIVE, domain_vars(domain, Desired.ACTIVE))
    record(
        "domain.update",
        domain,
        before=before,
        after=snapshot(domain, FIELDS),
        member_id=domain.member_id,
    )
    commit_and_dispatch(job)
    return domain, job


def remove_domain(domain: Domain) -> tuple[Domain, Job | None]:
    """The site stops answering for it; files in its document root stay."""
    ensure_idle(domain)
    before = snapshot(domain, FIELDS)
    if domain.state in (State.UNVERIFIED, State.LOST):
        # Never served: nothing to undo on the host.
        domain.state = State.DELETED
        domain.desired = Desired.ABSENT
        record("domain.delete", domain, before=before, member_id=domain.member_id)
        db.session.delete(domain)
        db.session.commit()
        return domain, None
    ensure_usable(domain.webspace)
    job = queue_change(domain, Desired.ABSENT, domain_vars(domain, Desired.ABSENT))
    record(
        "domain.delete",
        domain,
        before=before,
        after=snapshot(domain, FIELDS),
        member_id=domain.member_id,
    )
    commit_and_dispatch(job)
    return domain, job


def retry_certificates() -> list[Job]:
    """Queue the domains whose certificate failed and whose backoff has passed (periodic)."""
    jobs = []
    for domain in due_retries():
        if domain.last_job is not None and not domain.last_job.finished:
            continue
        domain.tls_retry_at = None
        job = queue_change(domain, Desired.ACTIVE, domain_vars(domain, Desired.ACTIVE))
        record("domain.retry", domain, after={"job_id": job.id}, member_id=domain.member_id)
        jobs.append(job)
    commit_and_dispatch(*jobs)
    return jobs


def check_certificates() -> list[Job]:
    """Run the job again for domains whose certificate nears its end (periodic; see
    tls.due_checks)."""
    jobs = []
    for domain in due_checks():
        job = queue_change(domain, Desired.ACTIVE, domain_vars(domain, Desired.ACTIVE))
        record("domain.check", domain, after={"job_id": job.id}, member_id=domain.member_id)
        jobs.append(job)
    commit_and_dispatch(*jobs)
    return jobs
