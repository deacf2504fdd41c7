"""`panel-testbed up/status/down`, which the panel's command line also offers as `panel testbed`
(through the entry point group panel.cli_plugins, see ../pyproject.toml)."""

import click

from panel.hosts.models import HostRole
from panel_testbed import TestbedError, image, lifecycle, network
from panel_testbed import state as saved


@click.group()
def testbed() -> None:
    """Local Debian hosts (systemd-nspawn) for development and tests."""


@testbed.command()
@click.option(
    "--hosts",
    "count",
    default=None,
    type=click.IntRange(1, network.MAX_HOSTS),
    help="How many hosts to boot.  [default: one per suite listed, else 2]",
)
@click.option(
    "--suite",
    "suites",
    default=image.DEFAULT_SUITE,
    show_default=True,
    envvar=image.SUITE_VARIABLE,
    help=(
        f"The hosts' Debian release ({'|'.join(image.SUITES)}), or one per host separated by "
        "commas for a mixed fleet (trixie,bookworm: host 1 on trixie, host 2 on bookworm). "
        f"Without it: {image.SUITE_VARIABLE}, else {image.DEFAULT_SUITE}."
    ),
)
@click.option(
    "--role",
    type=click.Choice([role.value for role in HostRole]),
    default=HostRole.WEBSPACE.value,
    show_default=True,
    help="The role the hosts are registered with.",
)
@click.option(
    "--register/--no-register", default=True, help="Add the hosts to the panel's inventory."
)
@click.option(
    "--setup/--no-setup",
    default=True,
    help="Run each registered host's setup job (baseline, agent, node_exporter) until it is "
    "ready; --no-setup makes the hosts ready at once without agent and firewall, for tests "
    "that need neither.",
)
def up(count: int | None, suites: str, role: str, register: bool, setup: bool) -> None:
    """Build the images if needed, boot the hosts and wait until each runs; registered hosts
    are set up and ready (monitored and metered) when it ends."""
    listed = [suite.strip() for suite in suites.split(",") if suite.strip()]
    if count is None:
        count = len(listed) if len(listed) > 1 else 2
    try:
        state = lifecycle.up(count, click.echo, listed)
    except TestbedError as exc:
        raise click.ClickException(str(exc)) from exc
    for host in state.hosts:
        click.echo(f"{host.name}\t{host.address}\t{host.suite}\t{host.fingerprint}")
    if register:
        from panel import create_app
        from panel.core.migrate import upgrade
        from panel_testbed.register import register_hosts

        app = create_app()
        with app.app_context():
            upgrade()
            try:
                register_hosts(state, click.echo, role, setup=setup)
            except TestbedError as exc:
                raise click.ClickException(str(exc)) from exc
    click.echo(f"state: {saved.state_path()}")
    click.echo(f"known hosts: {saved.known_hosts_path()}")


@testbed.command()
def status() -> None:
    """Each host, its address, its suite and whether it answers over SSH; fails unless all
    run."""
    rows = lifecycle.status()
    if not rows:
        click.echo("the testbed is down")
        if lifecycle.leftovers_without_state():
            click.echo("leftovers of an earlier testbed exist: run `panel testbed down`")
        return
    for row in rows:
        if not row.container:
            answer = "container stopped"
        elif row.system_state is None:
            answer = "no answer"
        else:
            answer = f"{row.system_state}, {row.memory_kib // 1024} MiB"
        click.echo(f"{row.name}\t{row.address}\t{row.suite}\t{answer}")
    if not all(row.container and row.system_state == "running" for row in rows):
        raise SystemExit(1)


@testbed.command()
def down() -> None:
    """Stop the hosts and remove every namespace, link, mount and process the testbed made."""
    try:
        lifecycle.down(click.echo)
    except TestbedError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("the testbed is down")
