"""The periodic task that moves resolutions through their phases on time."""

from flask import Flask
from huey import Huey, crontab

from panel.core.audit import acting


def register(huey: Huey, app: Flask):
    @huey.periodic_task(crontab(minute="*"), name="panel.governance.phases")
    def advance_phases() -> None:
        from panel.governance import phases

        with huey.lock_task("governance-phases"), app.app_context(), acting("worker"):
            phases.advance()

    return advance_phases
