"""The periodic collection: every minute it looks for whole periods not yet in the ledger (one
per PANEL_METERING_INTERVAL seconds), so a missed round or an outage is caught up later."""

from flask import Flask
from huey import Huey, crontab

from panel.core.audit import acting
from panel.metering import ledger


def register(huey: Huey, app: Flask):
    @huey.periodic_task(crontab(minute="*"), name="panel.metering.collect")
    def collect_usage() -> None:
        # Every worker runs the schedule; the lock lets one of them collect.
        with huey.lock_task("metering-collect"), app.app_context(), acting("worker"):
            collect_due()

    return collect_usage


def collect_due():
    """Collect what is due, if a Prometheus is configured; the run, or None."""
    due = ledger.due_periods()
    if due is None or ledger.prometheus() is None:
        return None
    return ledger.collect(*due)
