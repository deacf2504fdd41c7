"""Command groups that other installed distributions add to the `panel` command through the entry
point group ENTRY_POINTS, such as the testbed's `panel testbed` where the testbed is installed
(development, not production). The panel imports none of them: one is loaded only when its name is
given or the commands are listed."""

from importlib.metadata import EntryPoint, entry_points

import click

ENTRY_POINTS = "panel.cli_plugins"


def plugins() -> dict[str, EntryPoint]:
    """The installed plugins' command groups by command name."""
    return {entry.name: entry for entry in entry_points(group=ENTRY_POINTS)}


class PluginGroup(click.Group):
    """A command group that also offers the plugins' commands; its own win over a plugin's."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in (found := plugins()):
            command = found[name].load()
        return command
