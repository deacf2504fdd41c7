"""`panel webspaces …`."""

import click
from sqlalchemy import select

from panel.core.audit import acting
from panel.core.commands import new_app


@click.group()
def webspaces() -> None:
    """Webspaces and their sites."""


@webspaces.command("reapply")
@click.option("--host", "host_name", required=True, help="The webspace host, by name.")
def webspaces_reapply(host_name: str) -> None:
    """Set each webspace in service on the host up again by the current playbooks, then its
    domains, databases and SFTP users: after an update of the panel changed what they set up."""
    from panel.extensions import db
    from panel.hosts.models import Host
    from panel.webspaces.upgrades import reapply

    with new_app().app_context(), acting("cli"):
        host = db.session.scalar(select(Host).where(Host.name == host_name))
        if host is None:
            raise click.ClickException(f"no host named {host_name!r}")
        jobs = reapply(host)
        db.session.commit()
        click.echo(f"{len(jobs)} jobs queued on {host.name}")
        for job in jobs:
            click.echo(f"{job.id}\t{job.action}\t{job.resource_type}\t{job.resource_id}")
