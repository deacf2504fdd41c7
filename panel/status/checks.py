"""Each line of the status card: whether a part the panel relies on works (ok), and a short
sentence saying what the admin sees or must do."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from panel.core.models import utcnow
from panel.core.roles import Role
from panel.core.sshkey import key_paths
from panel.extensions import db
from panel.hosts.models import Host, HostState
from panel.metering.ledger import prometheus
from panel.metering.prometheus import PrometheusUnavailable
from panel.provisioning.models import Job, JobStatus

# The card must not hold the dashboard up: Prometheus gets this long to answer.
PROMETHEUS_TIMEOUT = 2
# A queued job waiting longer than this means no worker takes jobs.
WORKER_SILENCE = timedelta(minutes=5)
LONG_QUEUE = 20


@dataclass(frozen=True)
class Line:
    name: str
    ok: bool
    text: str
    link: str = ""


def status_card(user, **given) -> dict | None:
    if user.role != Role.ADMIN:
        return None
    return {
        "lines": [
            prometheus_line(),
            workers_line(),
            queue_line(),
            hosts_line(),
            smtp_line(),
            billing_line(),
            acme_line(),
        ],
        "public_key": panel_public_key(),
    }


def prometheus_line() -> Line:
    client = prometheus(timeout=PROMETHEUS_TIMEOUT)
    name = _l("Prometheus")
    if client is None:
        return Line(name, False, _l("Not configured: set PANEL_PROMETHEUS_URL."))
    try:
        client.instant("vector(1)")
    except PrometheusUnavailable as exc:
        return Line(name, False, _l("Does not answer: %(error)s", error=str(exc)))
    return Line(name, True, _l("Answers at %(url)s.", url=client.url))


def _oldest_queued_age() -> timedelta | None:
    oldest = db.session.scalar(
        select(func.min(Job.queued_at)).where(Job.status == JobStatus.QUEUED)
    )
    return utcnow() - oldest if oldest else None


def workers_line() -> Line:
    """The panel sees workers only through the jobs they take: a job left waiting long says
    that none runs."""
    name = _l("Workers")
    waited = _oldest_queued_age()
    if waited is not None and waited > WORKER_SILENCE:
        minutes = int(waited.total_seconds() // 60)
        return Line(
            name,
            False,
            _l(
                "A job has waited %(minutes)s minutes: is a worker running (`panel worker`)?",
                minutes=minutes,
            ),
            "/jobs",
        )
    return Line(name, True, _l("No job waits longer than %(minutes)s minutes.", minutes=5))


def queue_line() -> Line:
    waiting = db.session.scalar(
        select(func.count()).select_from(Job).where(Job.status == JobStatus.QUEUED)
    )
    text = _l("%(count)s jobs waiting.", count=waiting)
    return Line(_l("Queue"), waiting < LONG_QUEUE, text, "/jobs")


def hosts_line() -> Line:
    unreachable = db.session.scalar(
        select(func.count()).select_from(Host).where(Host.state == HostState.UNREACHABLE)
    )
    if unreachable:
        text = _l("%(count)s hosts unreachable.", count=unreachable)
        return Line(_l("Hosts"), False, text, "/admin/hosts")
    return Line(_l("Hosts"), True, _l("Every host is reachable."), "/admin/hosts")


def smtp_line() -> Line:
    if current_app.config.get("SMTP_URL"):
        return Line(_l("Mail"), True, _l("An SMTP server is configured."))
    return Line(
        _l("Mail"),
        False,
        _l("Not configured (PANEL_SMTP_URL): no password links, no notification mail."),
    )


def billing_line() -> Line:
    config = current_app.config
    missing = [key for key in ("COOP_IBAN", "SEPA_CREDITOR_ID") if not config.get(key)]
    if missing:
        text = _l(
            "Missing for invoices and direct debits: %(settings)s.",
            settings=", ".join(f"PANEL_{key}" for key in missing),
        )
        return Line(_l("Billing"), False, text)
    return Line(_l("Billing"), True, _l("IBAN and creditor ID are configured."))


def acme_line() -> Line:
    config = current_app.config
    name = _l("Certificates")
    if not config.get("ACME_DIRECTORY_URL"):
        return Line(name, False, _l("No ACME server (PANEL_ACME_DIRECTORY_URL): no certificates."))
    if not config.get("ACME_EMAIL"):
        text = _l(
            "From %(url)s, without an account email (PANEL_ACME_EMAIL): the CA cannot warn you.",
            url=config["ACME_DIRECTORY_URL"],
        )
        return Line(name, True, text)
    return Line(name, True, _l("From %(url)s.", url=config["ACME_DIRECTORY_URL"]))


def panel_public_key() -> str | None:
    """The panel's SSH public key, which hosts must authorize; None before `panel init`."""
    path = key_paths(Path(current_app.instance_path))[1]
    return path.read_text().strip() if path.exists() else None
