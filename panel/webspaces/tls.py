"""Certificates: what a domain job reports about its certificate, retries with backoff after a
failed issuance, and the expiry dates as a metric."""

from datetime import datetime, timedelta

from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Select, select

from panel.core.models import utcnow
from panel.extensions import db
from panel.notifications import events
from panel.provisioning.models import Job
from panel.webspaces.models import Desired, Domain, State, Webspace

MAX_BACKOFF = timedelta(days=1)
CHECK_SPACING = timedelta(hours=12)
# Webspaces whose sites are on their host (as state and as desired state alike).
SERVING = (State.ACTIVE, State.SUSPENDED)


def record_certificate(domain: Domain, reported: dict) -> None:
    """A successful job: its certificate's expiry (None without TLS), no error, no retry."""
    domain.tls_not_after = _timestamp(reported.get("tls_not_after")) if domain.tls else None
    domain.tls_error = ""
    domain.tls_failures = 0
    domain.tls_retry_at = None


def record_failure(domain: Domain, job: Job) -> None:
    """A job that could not get the domain's certificate: certbot's reason is shown, and the job
    is tried again later, each time waiting twice as long (PANEL_TLS_RETRY_SECONDS first, one day
    at most). Other failures (bad input, a host that is down, a cancel) are not retried."""
    reported = (job.stats or {}).get("data", {}).get("domain") or {}
    if not reported.get("tls_error"):
        return
    domain.tls_error = str(reported["tls_error"])[:2000]
    domain.tls_failures += 1
    first = timedelta(seconds=current_app.config["TLS_RETRY_SECONDS"])
    domain.tls_retry_at = utcnow() + min(first * 2 ** (domain.tls_failures - 1), MAX_BACKOFF)
    # Once per run of failures: the retries that follow do not notify again.
    if domain.tls_failures == 1:
        events.certificate_failed(domain.webspace_id, domain.name, domain.tls_error)


def _served_domains() -> Select:
    """Domains of webspaces whose sites are on their host: no job may touch the others."""
    return (
        select(Domain)
        .join(Webspace, Domain.webspace_id == Webspace.id)
        .where(Webspace.state.in_(SERVING), Webspace.desired.in_(SERVING))
    )


def due_retries(now: datetime | None = None) -> list[Domain]:
    """Failed domains whose next attempt is due."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            _served_domains()
            .where(
                Domain.state == State.FAILED,
                Domain.desired == Desired.ACTIVE,
                Domain.tls_retry_at.is_not(None),
                Domain.tls_retry_at <= now,
            )
            .order_by(Domain.tls_retry_at)
        )
    )


def due_checks(now: datetime | None = None) -> list[Domain]:
    """Active domains whose certificate, as the panel last saw it, ends within
    PANEL_TLS_CHECK_DAYS: certbot's timer on the host should have renewed it by then. Their job
    runs again, which reports the renewed certificate, or renews it (domain.yml renews what
    ends within 30 days) where the timer failed. Not more than twice a day per domain."""
    now = now or utcnow()
    horizon = now + timedelta(days=current_app.config["TLS_CHECK_DAYS"])
    candidates = db.session.scalars(
        _served_domains().where(
            Domain.state == State.ACTIVE,
            Domain.desired == Desired.ACTIVE,
            Domain.tls.is_(True),
            Domain.tls_not_after <= horizon,
        )
    ).all()
    return [
        domain
        for domain in candidates
        if domain.last_job is None
        or (domain.last_job.finished and domain.last_job.finished_at < now - CHECK_SPACING)
    ]


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class CertificateCollector:
    """Each domain's certificate expiry, as its last job on the host reported it."""

    def collect(self):
        family = GaugeMetricFamily(
            "panel_domain_tls_not_after_timestamp_seconds",
            "When the domain's certificate expires.",
            labels=["domain", "webspace"],
        )
        rows = db.session.execute(
            select(Domain.name, Webspace.name, Domain.tls_not_after)
            .join(Webspace, Domain.webspace_id == Webspace.id)
            .where(Domain.tls_not_after.is_not(None), Domain.state != State.DELETED)
        )
        for domain, webspace, not_after in rows:
            family.add_metric([domain, webspace], not_after.timestamp())
        yield family
