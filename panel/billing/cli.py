"""`panel billing …`."""

import click
from sqlalchemy import select

from panel.core.audit import acting
from panel.core.commands import new_app


@click.group()
def billing() -> None:
    """Cost-based billing."""


@billing.command("run")
@click.option("--period", "month", required=True, help="The month, YYYY-MM.")
def billing_run(month: str) -> None:
    """Make the draft invoices of a period (its cost pools entered beforehand)."""
    from panel.billing import operations
    from panel.billing.models import BillingPeriod
    from panel.core.errors import PanelError
    from panel.extensions import db

    with new_app().app_context(), acting("cli"):
        try:
            first = operations.clean_month("period", month)
            period = db.session.scalar(select(BillingPeriod).where(BillingPeriod.month == first))
            if period is None:
                raise click.ClickException(
                    f"no billing period for {month}: open one and enter its cost pools first"
                )
            result = operations.run_period(period)
        except PanelError as exc:
            raise click.ClickException(str(exc.message)) from exc
        click.echo(f"{len(result.created)} draft invoices for {month}")
        for pool in result.unallocated:
            click.echo(f"not shared out (no usage of {pool.key}): {pool.name} {pool.amount}")
