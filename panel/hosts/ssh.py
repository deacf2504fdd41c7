"""SSH to hosts with paramiko: read a host key, and connect only to the key that is pinned."""

import base64
import hashlib
import socket
from dataclasses import dataclass
from pathlib import Path

import paramiko
from flask import current_app

from panel.core.sshkey import ssh_client_key

CONNECT_TIMEOUT = 10


@dataclass(frozen=True)
class HostKey:
    key_type: str
    base64: str

    @property
    def line(self) -> str:
        return f"{self.key_type} {self.base64}"

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(base64.b64decode(self.base64)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    @classmethod
    def from_line(cls, line: str) -> "HostKey":
        key_type, key_data = line.split()[:2]
        return cls(key_type, key_data)


class HostKeyMismatch(Exception):
    """The host presented another key than the one expected: possibly an attack."""


def scan_host_key(address: str, port: int) -> HostKey:
    """The host's ed25519 key (or its preferred one), read without authenticating."""
    with socket.create_connection((address, port), timeout=CONNECT_TIMEOUT) as sock:
        transport = paramiko.Transport(sock)
        try:
            transport.get_security_options().key_types = [
                "ssh-ed25519",
                *[t for t in transport.get_security_options().key_types if t != "ssh-ed25519"],
            ]
            transport.start_client(timeout=CONNECT_TIMEOUT)
            key = transport.get_remote_server_key()
            return HostKey(key.get_name(), key.get_base64())
        finally:
            transport.close()


def panel_key() -> paramiko.PKey:
    return ssh_client_key(Path(current_app.instance_path), current_app.config["SECRET_KEY"])


def connect(
    address: str,
    port: int,
    pinned: HostKey,
    *,
    user: str = "root",
    password: str | None = None,
) -> paramiko.SSHClient:
    """An SSH session that refuses any host key but the pinned one."""
    client = paramiko.SSHClient()
    host_id = address if port == 22 else f"[{address}]:{port}"
    client.get_host_keys().add(
        host_id,
        pinned.key_type,
        paramiko.PKey.from_type_string(pinned.key_type, base64.b64decode(pinned.base64)),
    )
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            address,
            port=port,
            username=user,
            pkey=None if password else panel_key(),
            password=password,
            timeout=CONNECT_TIMEOUT,
            banner_timeout=CONNECT_TIMEOUT,
            auth_timeout=CONNECT_TIMEOUT,
            allow_agent=False,
            look_for_keys=False,
        )
    except paramiko.BadHostKeyException as exc:
        client.close()
        offered = HostKey(exc.key.get_name(), exc.key.get_base64())
        raise HostKeyMismatch(
            f"host key of {address}:{port} is {offered.fingerprint}, expected {pinned.fingerprint}"
        ) from exc
    except paramiko.SSHException:
        client.close()
        raise
    return client


def run(client: paramiko.SSHClient, command: str, timeout: float = 30) -> str:
    """Run a fixed command (never built from user input) and return its output."""
    # Bandit B601, a false positive: the onboarding's fixed commands, never built from input.
    _, stdout, stderr = client.exec_command(command, timeout=timeout)  # nosec B601
    output = stdout.read().decode(errors="replace")
    if stdout.channel.recv_exit_status() != 0:
        raise RuntimeError(f"{command!r} failed: {stderr.read().decode(errors='replace')[:500]}")
    return output
