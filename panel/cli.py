"""The `panel` command."""

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from panel.core.audit import acting


def _app():
    from panel import create_app

    return create_app()


@click.group()
def main() -> None:
    """Control panel of a hosting cooperative."""


@main.command()
@click.option("--admin-email", default="admin@example.org", show_default=True)
@click.option("--admin-password", default=None, help="Generated and printed when not given.")
def init(admin_email: str, admin_password: str | None) -> None:
    """Migrate the database, create the admin, the instance secret and the SSH key pair."""
    from panel.accounts.models import User
    from panel.accounts.operations import create_user
    from panel.core.roles import Role
    from panel.core.schema import upgrade
    from panel.core.sshkey import ensure_keypair
    from panel.extensions import db

    app = _app()
    with app.app_context(), acting("cli"):
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
        user = create_user(admin_email, Role.ADMIN, password=password, display_name="Admin")
        click.echo(f"admin created: {user.email}")
        if admin_password is None:
            click.echo(f"admin password (shown once): {password}")
        click.echo("The admin sets up two-factor authentication at the first login.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Web and worker together (the embedded default)."""
    worker = subprocess.Popen([sys.executable, "-m", "panel.cli", "worker"])
    try:
        _serve(host, port, workers=1, threads=8)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


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
    from panel.core.queue import init_app

    app = _app()
    queue = init_app(app)
    with app.app_context(), acting("worker"):
        queue.create_consumer(workers=workers, worker_type="thread").run()


@main.group()
def user() -> None:
    """Users."""


@user.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["member", "reseller", "admin"]), required=True)
@click.option("--password", default=None, help="Without one, the user sets it by reset link.")
def user_create(email: str, role: str, password: str | None) -> None:
    from panel.accounts.operations import create_user
    from panel.core.errors import PanelError

    app = _app()
    with app.app_context(), acting("cli"):
        try:
            created = create_user(email, role, password=password)
        except PanelError as exc:
            raise click.ClickException(_describe(exc)) from exc
        click.echo(f"created {created.role} {created.email} (id {created.id})")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
def token_create(email: str, name: str) -> None:
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
                _, clear = create_api_token(owner, name)
            except PanelError as exc:
                raise click.ClickException(_describe(exc)) from exc
        click.echo(clear)


def _describe(exc) -> str:
    details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items())
    return f"{exc.message} {details}".strip()


if __name__ == "__main__":
    main()
