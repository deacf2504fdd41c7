"""`panel monitoring …`: Prometheus' view of the host inventory."""

import json

import click

from panel.core.commands import new_app
from panel.hosts.targets import host_targets, write_host_targets


@click.group()
def monitoring() -> None:
    """Prometheus' view of the fleet."""


@monitoring.command("targets")
@click.option(
    "--write",
    is_flag=True,
    help="Also write hosts.json and agents.json (with the agents' tokens) to the targets folder.",
)
def monitoring_targets(write: bool) -> None:
    """The hosts as Prometheus file_sd JSON (agent and node_exporter jobs add their ports); the
    agents' tokens are written, never shown."""
    with new_app().app_context():
        click.echo(json.dumps(host_targets(), indent=2))
        if write:
            click.echo(f"written: {write_host_targets()}", err=True)
