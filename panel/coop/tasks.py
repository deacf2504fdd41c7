"""Periodic work of the cooperative: settle the notices whose effective date has come."""

from flask import Flask
from huey import Huey, crontab

from panel.coop import settlement
from panel.core.audit import acting


def register(huey: Huey, app: Flask):
    # Hourly, though notices take effect by the day: a worker that was down at one round
    # settles at the next, and a settled notice is never settled twice.
    @huey.periodic_task(crontab(minute="41"), name="panel.coop.settle_notices")
    def settle_notices() -> None:
        # Every worker runs the schedule; the lock lets one of them settle.
        with huey.lock_task("coop-settle-notices"), app.app_context(), acting("worker"):
            settlement.settle_due_notices()

    return settle_notices
