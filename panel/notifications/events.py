"""What each kind of notification says: one function per event, called at the one place where
the event happens, with plain values (this package knows none of the features above it). The
texts are lazy, so that each recipient reads them in their own language; the caller commits."""

from decimal import Decimal

from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l

from panel.core.money import format_money
from panel.notifications.kinds import Kind
from panel.notifications.operations import notify_admins, notify_member


def job_failed(job_id: int, action: str, status: str, reason: str, hosts: list[str]) -> None:
    notify_admins(
        Kind.JOB_FAILED,
        _l("Job %(id)s (%(action)s) ended %(status)s", id=job_id, action=action, status=status),
        _l(
            "Job %(id)s (%(action)s on %(hosts)s) ended %(status)s: %(reason)s",
            id=job_id,
            action=action,
            hosts=", ".join(hosts) or "—",
            status=status,
            reason=reason or "—",
        ),
        f"/jobs/{job_id}",
    )


def host_unreachable(host_id: int, name: str, reason: str) -> None:
    notify_admins(
        Kind.HOST_UNREACHABLE,
        _l("Host %(name)s is unreachable", name=name),
        _l("The panel cannot reach host %(name)s: %(reason)s", name=name, reason=reason or "—"),
        f"/admin/hosts/{host_id}",
    )


def certificate_failed(webspace_id: int, domain: str, error: str) -> None:
    notify_admins(
        Kind.CERTIFICATE_FAILED,
        _l("No certificate for %(domain)s", domain=domain),
        _l(
            "The certificate for %(domain)s could not be issued; the panel tries again later. "
            "The reason: %(error)s",
            domain=domain,
            error=error,
        ),
        f"/webspaces/{webspace_id}",
    )


def metering_failed(error: str) -> None:
    notify_admins(
        Kind.METERING_FAILED,
        _l("The usage collection failed"),
        _l(
            "The panel could not collect usage from Prometheus: %(error)s. It tries again every "
            "minute; you get no further notice until a collection succeeded.",
            error=error,
        ),
        "/admin/usage",
    )


def no_webspace_host() -> None:
    notify_admins(
        Kind.NO_WEBSPACE_HOST,
        _l("No webspace host is ready"),
        _l(
            "A member could not get a new webspace: no webspace host is ready (all are "
            "unreachable, failed, in maintenance or still being set up)."
        ),
        "/admin/hosts",
        once=True,
    )


def invoice_issued(member_id: int, invoice_id: int, number: str, gross: Decimal) -> None:
    # The amount as the recipient writes money: formatted once their language is chosen.
    total = LazyString(lambda: format_money(gross, str(get_locale())))
    notify_member(
        Kind.INVOICE_ISSUED,
        member_id,
        _l("Invoice %(number)s", number=number),
        _l(
            "Your invoice %(number)s over %(total)s is issued; you find it in the panel.",
            number=number,
            total=total,
        ),
        f"/invoices/{invoice_id}",
    )


RESOURCES = {
    "webspaces": _l("Webspace"),
    "domains": _l("Domain"),
    "databases": _l("Database"),
    "sftp_users": _l("SFTP user"),
    "servers": _l("Server"),
}


def resource_failed(member_id: int | None, table: str, name: str, reason: str, link: str) -> None:
    """The resource of the TABLE (webspaces, domains, ...) called NAME failed."""
    what = RESOURCES.get(table, table)
    notify_member(
        Kind.RESOURCE_FAILED,
        member_id,
        _l("%(what)s %(name)s failed", what=what, name=name),
        _l(
            "The change to %(what)s %(name)s failed: %(reason)s. You can retry it on its page.",
            what=what,
            name=name,
            reason=reason or "—",
        ),
        link,
    )
