"""The `panel` command."""

import logging
import os
import secrets
import signal
import subprocess  # nosec B404  # starts the panel's own processes, no shell
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

import panel
from panel.billing.cli import billing
from panel.cli_plugins import PluginGroup
from panel.coop.cli import shares
from panel.core.audit import acting
from panel.hosts.cli import monitoring
from panel.hosts.models import HostRole
from panel.metering.cli import metering
from panel.webspaces.cli import webspaces


def _app():
    return panel.create_app()


# The features' commands make their apps with _app, which they cannot import.
@click.group(cls=PluginGroup, context_settings={"obj": _app})
def main() -> None:
    """Control panel of a hosting cooperative."""


@main.command()
@click.option("--admin-email", default="admin@example.org", show_default=True)
@click.option("--admin-password", default=None, help="Generated and printed when not given.")
def init(admin_email: str, admin_password: str | None) -> None:
    """Migrate the database, create the admin, the instance secret and the SSH key pair."""
    from panel.accounts.models import User
    from panel.accounts.operations import create_user
    from panel.core.errors import PanelError
    from panel.core.migrate import upgrade
    from panel.core.roles import Role
    from panel.core.sshkey import ensure_keypair
    from panel.extensions import db

    app = _app()
    with app.app_context(), acting("cli"):
        _private_sqlite_file(current_app.config["SQLALCHEMY_DATABASE_URI"])
        upgrade()
        instance = Path(current_app.instance_path)
        public_key = ensure_keypair(instance, current_app.config["SECRET_KEY"])
        click.echo(f"instance folder: {instance}")
        click.echo(f"SSH public key: {public_key}")
        admin = db.session.scalar(select(User).where(User.role == Role.ADMIN).limit(1))
        if admin is not None:
            click.echo(f"admin exists: {admin.email}")
            return
        password = admin_password or secrets.token_urlsafe(15)
        try:
            user = create_user(admin_email, Role.ADMIN, password=password, display_name="Admin")
        except PanelError as exc:
            raise click.ClickException(_describe(exc)) from exc
        click.echo(f"admin created: {user.email}")
        if admin_password is None:
            click.echo(f"admin password (shown once): {password}")
        click.echo("The admin sets up two-factor authentication at the first login.")


def _private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only; SQLite would follow the umask."""
    from sqlalchemy.engine import make_url

    from panel.config import write_private_file

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if not path.exists():
        write_private_file(path, b"")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Web and worker together (the embedded default), and a local Prometheus unless
    PANEL_PROMETHEUS_URL names one."""
    prometheus, announced = _local_prometheus(host, port)
    worker = subprocess.Popen([sys.executable, "-m", "panel.cli", "worker"])  # nosec B603  # its own worker
    try:
        _serve(host, port, workers=1, threads=8)
    finally:
        for process in filter(None, (worker, prometheus)):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if announced is not None:
            announced.unlink(missing_ok=True)


def _local_prometheus(host: str, port: int) -> tuple[subprocess.Popen | None, Path | None]:
    """Start it and point the web and the worker at it through PANEL_PROMETHEUS_URL, and other
    commands of the instance through the file it is announced in (returned)."""
    from panel.metering import local_prometheus

    app = _app()
    if app.config.get("PROMETHEUS_URL"):
        return None, None
    with app.app_context():
        # Prometheus reaches a panel that listens on every interface on the loopback one.
        local = host
        if host == "0.0.0.0":  # noqa: S104  # nosec B104  # a comparison, not a binding
            local = "127.0.0.1"
        process = local_prometheus.start(f"{local}:{port}")
        if process is None:
            click.echo(f"{local_prometheus.BINARY} is missing: usage is not metered", err=True)
            return None, None
        os.environ["PANEL_PROMETHEUS_URL"] = local_prometheus.url()
        click.echo(f"Prometheus for metering: {local_prometheus.url()}")
        return process, local_prometheus.announce(process)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=(os.cpu_count() or 1) * 2 + 1, show_default=True, type=int)
def web(host: str, port: int, workers: int) -> None:
    """The web server alone (gunicorn), for production behind nginx."""
    _serve(host, port, workers=workers, threads=4)


def _serve(host: str, port: int, *, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")

        def load(self):
            return _app()

    Server().run()


@main.command()
@click.option("--workers", default=4, show_default=True, type=int)
def worker(workers: int) -> None:
    """The job worker alone (Huey consumer)."""
    from panel.provisioning.tasks import Reaper, job_launcher, reap, requeue_waiting

    app = _app()
    queue = app.extensions["queue"]
    with app.app_context(), acting("worker"):
        reaped = reap()
        waiting = requeue_waiting()
    click.echo(f"worker starting: {len(reaped)} lost jobs reaped, {waiting} waiting jobs queued")
    launcher = job_launcher(app)
    Reaper(app).start()
    # Redis hands a job over at once (a blocking pop); SQLite is polled, and an idle queue is
    # checked ten times a second by each thread: a job waits for pickup 0.1 s at most.
    queue.create_consumer(
        workers=workers, worker_type="thread", initial_delay=0.05, backoff=1.2, max_delay=0.1
    ).run()
    # Stopped (SIGTERM: at once; SIGINT: once the running jobs ended): the jobs still running
    # end with their launcher now, and the worker exits without the interpreter's clean-up, in
    # which nothing is left to save and Huey's threads still wait on those jobs.
    launcher.stop()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@main.group()
def user() -> None:
    """Users."""


@user.command("create")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(["member", "reseller", "customer", "admin"]), required=True
)
@click.option("--reseller", default=None, help="A customer's reseller (its login address).")
@click.option("--name", default="", help="The display name.")
@click.option("--password", default=None, help="Without one, the user sets it by a link.")
def user_create(email: str, role: str, reseller: str | None, name: str, password: str | None):
    """Create an account; without --password, print or mail a one-time password link."""
    from panel.accounts import management

    with _keeping():
        created, link = management.create_account(
            None,
            email,
            role,
            display_name=name,
            password=password,
            reseller=reseller,
        )
        click.echo(f"created {created.role} {created.email} (id {created.id})")
        _say_link(link)


@user.command("list")
@click.option("--search", default="", help="Part of the address or the name.")
@click.option("--role", type=click.Choice(["member", "reseller", "customer", "admin"]))
def user_list(search: str, role: str | None) -> None:
    """Print the accounts: id, role, state, address, name."""
    from panel.accounts.loaders import matching_accounts
    from panel.extensions import db

    with _keeping():
        for account in db.session.scalars(matching_accounts(search, role or "")):
            state = "enabled" if account.is_enabled else "disabled"
            click.echo(
                f"{account.id}\t{account.role}\t{state}\t{account.email}\t{account.display_name}"
            )


@user.command("set")
@click.argument("email")
@click.option("--role", type=click.Choice(["member", "reseller"]), help="Swap member/reseller.")
@click.option("--disable/--enable", "disabled", default=None, help="Disable or enable.")
@click.option("--name", default=None, help="A new display name.")
def user_set(email: str, role: str | None, disabled: bool | None, name: str | None) -> None:
    """Change an account's role, name, or whether it is disabled (which ends its sessions and
    revokes its API tokens)."""
    from panel.accounts import management

    given = {"role": role, "disabled": disabled, "display_name": name}
    with _keeping():
        account = management.edit_account(
            _account(email), {key: value for key, value in given.items() if value is not None}
        )
        state = "enabled" if account.is_enabled else "disabled"
        click.echo(f"{account.role} {account.email} {state}")


@user.command("reset-2fa")
@click.argument("email")
def user_reset_second_factor(email: str) -> None:
    """Turn off the account's second factor; the person sets it up again."""
    from panel.accounts import management

    with _keeping():
        management.reset_second_factor(_account(email))
        click.echo(f"two-factor authentication of {email} is off")


@user.command("password-link")
@click.argument("email")
def user_password_link(email: str) -> None:
    """Print (or, with a mail server, mail) a one-time link to set the password."""
    from panel.accounts import management

    with _keeping():
        _say_link(management.offer_password_link(_account(email)))


@contextmanager
def _keeping():
    """An app to keep accounts in, as the office; an operation's refusal ends the command."""
    from panel.core.errors import PanelError

    with _app().app_context(), acting("cli"):
        try:
            yield
        except PanelError as exc:
            raise click.ClickException(_describe(exc)) from exc


def _account(email: str):
    from panel.accounts.operations import find_user_by_email

    account = find_user_by_email(email)
    if account is None:
        raise click.ClickException(f"no user with email {email}")
    return account


def _say_link(link) -> None:
    if link is None:
        return
    if link.link:
        click.echo(f"password link (shown once): {link.link}")
    elif link.mailed:
        click.echo("password link mailed")
    else:
        raise click.ClickException("the mail with the password link could not be sent")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
@click.option(
    "--expires-days", type=int, default=None, help="Expire after N days (1-730; default never)."
)
@click.option("--read-only", is_flag=True, help="Only GET, HEAD and OPTIONS.")
def token_create(email: str, name: str, expires_days: int | None, read_only: bool) -> None:
    """Print a new API token for the user (shown once)."""
    from panel.accounts.operations import create_api_token, find_user_by_email
    from panel.core.errors import PanelError

    app = _app()
    with app.app_context():
        owner = find_user_by_email(email)
        if owner is None:
            raise click.ClickException(f"no user with email {email}")
        with acting("cli", owner):
            try:
                _, clear = create_api_token(
                    owner, name, expires_in_days=expires_days, read_only=read_only
                )
            except PanelError as exc:
                raise click.ClickException(_describe(exc)) from exc
        click.echo(clear)


@main.group()
def hosts() -> None:
    """The host inventory."""


@hosts.command("add")
@click.argument("name")
@click.argument("address")
@click.option("--role", type=click.Choice([role.value for role in HostRole]), default="webspace")
@click.option("--port", "ssh_port", default=22, show_default=True, type=int)
@click.option("--groups", default="", help="Comma-separated group names.")
@click.option("--capacity", default=100, show_default=True, type=int)
@click.option("--fingerprint", default=None, help="The expected SHA256:… host key fingerprint.")
@click.option("--password", default=None, help="A one-time root password to install the key.")
def hosts_add(name, address, role, ssh_port, groups, capacity, fingerprint, password) -> None:
    """Register a host: pin its host key (shown for confirmation), install the key, read facts."""
    from panel.core.errors import PanelError
    from panel.hosts import operations

    app = _app()
    with app.app_context(), acting("cli"):
        try:
            if fingerprint is None:
                offered = operations.scan(address, ssh_port)
                click.echo(f"{address}:{ssh_port} offers host key {offered.fingerprint}")
                if not click.confirm("Is this the host's key?"):
                    raise click.ClickException("not confirmed; nothing registered")
                fingerprint = offered.fingerprint
            host = operations.add_host(
                name,
                address,
                fingerprint=fingerprint,
                ssh_port=ssh_port,
                role=role,
                groups=groups,
                capacity=capacity,
                password=password,
            )
        except PanelError as exc:
            raise click.ClickException(_describe(exc)) from exc
        click.echo(f"{host.name} {host.address} {host.state} {host.fingerprint}")
        if host.state_reason:
            click.echo(f"reason: {host.state_reason}")


@hosts.command("list")
def hosts_list() -> None:
    from panel.extensions import db
    from panel.hosts.models import Host

    app = _app()
    with app.app_context():
        for host in db.session.scalars(select(Host).order_by(Host.name)):
            groups = ",".join(host.groups or []) or "-"
            click.echo(
                f"{host.name}\t{host.address}:{host.ssh_port}\t{host.role}\t{groups}"
                f"\t{host.state}\t{host.fingerprint}"
            )


@main.command()
@click.option("--list", "list_all", is_flag=True, help="All hosts and groups.")
@click.option("--host", default=None, help="The variables of one host.")
def inventory(list_all: bool, host: str | None) -> None:
    """Ansible dynamic inventory (JSON), usable as `ansible-playbook -i 'panel inventory'`."""
    import json

    from panel.hosts.inventory import current_inventory

    app = _app()
    with app.app_context():
        data = current_inventory()
    if host is not None:
        click.echo(json.dumps(data["_meta"]["hostvars"].get(host, {}), indent=2))
    elif list_all:
        click.echo(json.dumps(data, indent=2))
    else:
        raise click.UsageError("give --list or --host NAME")


@main.group()
def jobs() -> None:
    """Jobs."""


@jobs.command("run")
@click.argument("action")
@click.option("--hosts", "host_names", required=True, help="Comma-separated hosts or groups.")
@click.option("--wait/--no-wait", default=False, help="Wait for the end; fail if the job fails.")
@click.option("--timeout", default=3600, show_default=True, type=int, help="Seconds to wait.")
def jobs_run(action: str, host_names: str, wait: bool, timeout: int) -> None:
    """Run a maintenance playbook (ping, base, apt-upgrade, reboot, agent) on hosts."""
    import time

    from panel.core.errors import PanelError
    from panel.extensions import db
    from panel.provisioning.models import Job
    from panel.provisioning.operations import run_maintenance

    app = _app()
    with app.app_context(), acting("cli"):
        try:
            job = run_maintenance(action, host_names)
        except PanelError as exc:
            raise click.ClickException(_describe(exc)) from exc
        click.echo(f"job {job.id} queued: {action} on {', '.join(job.hosts)}")
        if not wait:
            return
        deadline = time.monotonic() + timeout
        while not job.finished:
            if time.monotonic() > deadline:
                raise click.ClickException(f"job {job.id} still {job.status} after {timeout} s")
            # End the read transaction while waiting, so the worker can write.
            db.session.rollback()
            time.sleep(0.2)
            job = db.session.get(Job, job.id)
        click.echo(f"job {job.id} {job.status}" + (f": {job.reason}" if job.reason else ""))
        if job.status != "successful":
            sys.exit(1)


def _describe(exc) -> str:
    """The error's message, and the field messages that do not just repeat it."""
    message = str(exc.message)
    details = [
        f"{field}: {' '.join(str(text) for text in texts)}"
        for field, texts in exc.fields.items()
        if [str(text) for text in texts] != [message]
    ]
    return " ".join([message, *details])


main.add_command(monitoring)
main.add_command(metering)
main.add_command(billing)
main.add_command(shares)
main.add_command(webspaces)


if __name__ == "__main__":
    main()
