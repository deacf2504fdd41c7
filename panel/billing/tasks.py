"""The monthly run: the drafts of the month before, for the office to review and issue, once
its period is open with cost pools and the usage ledger holds the whole month. Tried every
morning, so a ledger that catches up after an outage is billed when it is complete."""

from flask import Flask
from huey import Huey, crontab

from panel.core.audit import acting


def register(huey: Huey, app: Flask):
    @huey.periodic_task(crontab(hour="3", minute="0"), name="panel.billing.monthly")
    def monthly_run() -> None:
        with huey.lock_task("billing-monthly"), app.app_context(), acting("worker"):
            run_last_month()

    return monthly_run


def run_last_month():
    """The previous month's draft run, if its period is open, has pools and no invoices yet, and
    the ledger is collected to the month's end; else None."""
    from datetime import timedelta

    from sqlalchemy import select

    from panel.billing import keys, operations
    from panel.billing.models import BillingPeriod, Invoice, PeriodState
    from panel.core.models import utcnow
    from panel.extensions import db
    from panel.metering.ledger import collected_until

    month = (utcnow().date().replace(day=1) - timedelta(days=1)).replace(day=1)
    period = db.session.scalar(select(BillingPeriod).where(BillingPeriod.month == month))
    if period is None or period.state != PeriodState.OPEN or not period.pools:
        return None
    if db.session.scalar(select(Invoice.id).where(Invoice.period_id == period.id).limit(1)):
        return None
    complete = collected_until()
    if complete is None or complete < keys.month_bounds(month)[1]:
        return None
    return operations.run_period(period)
