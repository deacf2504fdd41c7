"""`panel shares …`."""

import click

from panel.core.audit import acting
from panel.core.commands import new_app


@click.group()
def shares() -> None:
    """The cooperative's shares."""


@shares.command("settle")
def shares_settle() -> None:
    """Settle the notices whose effective date has come, as the hourly task does: their shares
    booked out, a payout each, memberships under notice ended."""
    from panel.coop import settlement

    with new_app().app_context(), acting("cli"):
        settled = settlement.settle_due_notices()
        click.echo(f"{len(settled)} notices settled")
