"""`panel metering …`."""

import sys
from datetime import UTC, datetime

import click
from flask import current_app

from panel.core.audit import acting
from panel.core.commands import new_app
from panel.core.errors import PanelError
from panel.metering import ledger
from panel.metering.tasks import collect_due


@click.group()
def metering() -> None:
    """The usage ledger."""


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@metering.command("collect")
@click.option("--from", "start", default=None, help="Backfill from (ISO 8601, UTC if no zone).")
@click.option("--to", "end", default=None, help="Backfill up to (ISO 8601), exclusive.")
def metering_collect(start: str | None, end: str | None) -> None:
    """Write the ledger rows of the periods due (or of a backfill range) from Prometheus."""
    if (start is None) != (end is None):
        raise click.UsageError("--from and --to go together")
    with new_app().app_context(), acting("cli"):
        if ledger.prometheus() is None:
            raise click.ClickException(
                "PANEL_PROMETHEUS_URL is not set and no `panel run` of this instance"
                f" ({current_app.instance_path}) runs a local Prometheus: nothing to read from."
                " Set PANEL_PROMETHEUS_URL, or start `panel run` with the same PANEL_INSTANCE."
            )
        if start is None:
            run = collect_due()
            if run is None:
                click.echo("nothing due")
                return
        else:
            try:
                run = ledger.collect(*ledger.check_range(_moment(start), _moment(end)))
            except PanelError as exc:
                raise click.ClickException(str(exc.message) + f" {exc.fields}") from exc
        click.echo(
            f"collection {run.id} {run.status}: {run.period_start.isoformat()} to "
            f"{run.period_end.isoformat()}, {run.records} rows, {run.gaps} gaps, "
            f"{run.unmatched} series without a resource"
        )
        if run.error:
            click.echo(run.error, err=True)
            sys.exit(1)
