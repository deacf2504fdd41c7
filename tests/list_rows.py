"""Rows written directly for the tests of the list pages (paging, sorting, searching need many
of them, not their jobs), smaller pages for those tests, and reading a list's order off a page."""

import dataclasses
import html
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from panel.billing.models import BillingPeriod, Invoice, InvoiceState
from panel.core.audit import AuditEntry
from panel.extensions import db
from panel.provisioning.models import Job
from panel.webspaces.models import Domain, Webspace


def small_pages(monkeypatch, module, name: str, size: int = 2) -> None:
    """The list NAME of the view MODULE with pages of SIZE rows, to page with few rows."""
    monkeypatch.setattr(module, name, dataclasses.replace(getattr(module, name), page_size=size))


def webspace_row(member, host, name: str, state: str = "active", domains=()) -> Webspace:
    webspace = Webspace(
        member_id=member.id,
        name=name,
        host_id=host.id,
        state=state,
        max_domains=10,
        max_databases=10,
        max_users=10,
        quota_mib=1024,
    )
    db.session.add(webspace)
    db.session.flush()
    for domain in domains:
        db.session.add(
            Domain(
                webspace_id=webspace.id,
                member_id=member.id,
                name=domain,
                document_root="public",
                verification_token="token",
                state="active",
            )
        )
    db.session.commit()
    return webspace


def job_row(action: str, status: str = "successful", hosts=("web1",), member=None, at=None):
    job = Job(
        action=action,
        playbook=f"{action}.yml",
        hosts=list(hosts),
        status=status,
        member_id=member.id if member else None,
        queued_at=at or datetime(2026, 1, 1),
    )
    db.session.add(job)
    db.session.commit()
    return job


def billing_period(month: date) -> BillingPeriod:
    period = BillingPeriod(month=month, vat_percent=Decimal(19), state="closed")
    db.session.add(period)
    db.session.commit()
    return period


def invoice_row(member, period, number: str | None, gross: str = "10.00", kind="invoice"):
    invoice = Invoice(
        member_id=member.id,
        period_id=period.id,
        kind=kind,
        state=InvoiceState.ISSUED if number else InvoiceState.DRAFT,
        number=number,
        gross=Decimal(gross),
        buyer={"number": member.number, "name": member.name},
    )
    db.session.add(invoice)
    db.session.commit()
    return invoice


def audit_row(action: str, member=None, actor="office@example.org", source="web", object_id="1"):
    entry = AuditEntry(
        actor_label=actor,
        source=source,
        action=action,
        object_type=action.split(".")[0],
        object_id=object_id,
        member_id=member.id if member else None,
        at=datetime(2026, 1, 1) + timedelta(seconds=len(action)),
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def shown_order(page: str, names) -> list[str]:
    """NAMES in the order the page shows them (those it does not show left out)."""
    text = html.unescape(page)
    found = [(text.find(name), name) for name in names if re.search(re.escape(name), text)]
    return [name for _, name in sorted(found)]


def tbody(page: str) -> str:
    """The rows of the page's (first) table, without its search form and headers."""
    return page[page.index("<tbody>") : page.index("</tbody>")]


def every_page(client, path: str, names, **args) -> list[str]:
    """NAMES as a list shows them on all its pages, following its "next" links."""
    found, url = [], client.get(path, query_string=args).request.url
    for _ in range(50):
        page = client.get(url).get_data(as_text=True)
        found += shown_order(tbody(page), names)
        link = re.search(r'href="([^"]*)" rel="next"', page)
        if link is None:
            return found
        url = html.unescape(link.group(1))
    raise AssertionError(f"{path}: more than 50 pages")
