"""Periodic work on webspaces: purge what outlived its grace period, retry failed certificates,
check certificates that near their end."""

from flask import Flask
from huey import Huey, crontab

from panel.core.audit import acting
from panel.webspaces import databases, domains, operations


def register(huey: Huey, app: Flask):
    @huey.periodic_task(crontab(minute="*/5"), name="panel.webspaces.housekeeping")
    def housekeeping() -> None:
        # Every worker runs the schedule; the lock lets one of them do each round.
        with huey.lock_task("webspaces-housekeeping"), app.app_context(), acting("worker"):
            run_housekeeping()

    return housekeeping


def run_housekeeping() -> dict[str, int]:
    return {
        "webspaces purged": len(operations.purge_expired()),
        "databases purged": len(databases.purge_expired()),
        "certificates retried": len(domains.retry_certificates()),
        "certificates checked": len(domains.check_certificates()),
    }
