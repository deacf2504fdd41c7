"""SSH to testbed hosts as root with the panel's key, checking each host's key against the
testbed's known_hosts file: an unknown or changed key is refused."""

import os
from pathlib import Path

import paramiko

from panel.config import instance_path, load_or_create_secret
from panel.core.sshkey import ensure_keypair, ssh_client_key
from panel_testbed import TestbedError


def instance_secret() -> str:
    """The instance secret as the app sees it (PANEL_SECRET_KEY, else the instance's file)."""
    if os.environ.get("PANEL_SECRET_KEY"):
        return os.environ["PANEL_SECRET_KEY"]
    folder = instance_path()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return load_or_create_secret(folder)


def panel_public_key() -> str:
    return ensure_keypair(instance_path(), instance_secret()).read_text()


def panel_key() -> paramiko.Ed25519Key:
    return ssh_client_key(instance_path(), instance_secret())


def connect(
    address: str, port: int, known_hosts: Path, key: paramiko.PKey, timeout: float = 5.0
) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_host_keys(str(known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        address,
        port=port,
        username="root",
        pkey=key,
        allow_agent=False,
        look_for_keys=False,
        timeout=timeout,
        banner_timeout=timeout,
        auth_timeout=timeout,
    )
    return client


def run(client: paramiko.SSHClient, command: str, timeout: float = 30.0) -> tuple[int, str]:
    """Exit status and standard output of COMMAND on the host."""
    _, stdout, _ = client.exec_command(command, timeout=timeout)
    output = stdout.read().decode(errors="replace")
    return stdout.channel.recv_exit_status(), output


def system_state(
    address: str, port: int, known_hosts: Path, key: paramiko.PKey, timeout: float = 5.0
) -> str:
    """What `systemctl is-system-running` answers on the host."""
    client = connect(address, port, known_hosts, key, timeout)
    try:
        return run(client, "systemctl is-system-running")[1].strip()
    finally:
        client.close()


def failed_units(address: str, port: int, known_hosts: Path, key: paramiko.PKey) -> str:
    client = connect(address, port, known_hosts, key)
    try:
        return run(client, "systemctl --failed --plain --no-legend --no-pager")[1].strip()
    finally:
        client.close()


def probe(address: str, port: int, known_hosts: Path, key: paramiko.PKey) -> str | None:
    """The host's system state, or None while it does not answer yet. A wrong host key or a
    refused login is raised: waiting would not change it."""
    try:
        return system_state(address, port, known_hosts, key, timeout=2.0)
    except paramiko.BadHostKeyException as exc:
        raise TestbedError(f"{address}: host key does not match {known_hosts}") from exc
    except paramiko.AuthenticationException as exc:
        raise TestbedError(f"{address}: the panel's key was refused") from exc
    except (OSError, paramiko.SSHException):
        return None


def run_on(address: str, port: int, command: str, known_hosts: Path) -> tuple[int, str]:
    """Exit status and output of COMMAND run as root on a testbed host, over a connection of
    its own with the panel's key, the host's key checked against KNOWN_HOSTS."""
    client = connect(address, port, known_hosts, panel_key())
    try:
        return run(client, command)
    finally:
        client.close()
