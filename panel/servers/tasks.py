"""Periodic work on managed servers: purge the archives whose grace period is over."""

from flask import Flask
from huey import Huey, crontab

from panel.core.audit import acting
from panel.servers import operations


def register(huey: Huey, app: Flask):
    @huey.periodic_task(crontab(minute="23"), name="panel.servers.housekeeping")
    def housekeeping() -> None:
        # Every worker runs the schedule; the lock lets one of them do each round.
        with huey.lock_task("servers-housekeeping"), app.app_context(), acting("worker"):
            operations.purge_archives()

    return housekeeping
