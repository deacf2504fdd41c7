"""What makes a host itself, written into its overlay before it boots: name, machine ID, a fresh
SSH host key (never the image's: it has none) and the panel's key authorized for root."""

import base64
import hashlib
import os
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def fingerprint(public_line: str) -> str:
    """OpenSSH's SHA256 fingerprint of a public key line ("ssh-ed25519 AAAA... comment")."""
    blob = base64.b64decode(public_line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def write_identity(root: Path, name: str, authorized_key: str, hosts: dict[str, str]) -> str:
    """Write the host's files under ROOT; returns its public host key line."""
    etc = root / "etc"
    (etc / "hostname").write_text(f"{name}\n")
    (etc / "machine-id").write_text(f"{uuid.uuid4().hex}\n")
    lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]
    lines += [f"{address} {host}" for host, address in hosts.items()]
    (etc / "hosts").write_text("\n".join(lines) + "\n")
    # No resolver: the hosts reach nothing beyond the testbed, names come from /etc/hosts.
    (etc / "resolv.conf").write_text("")
    public = _host_key(etc / "ssh", name)
    ssh_dir = root / "root" / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    _write(ssh_dir / "authorized_keys", authorized_key.strip() + "\n", 0o600)
    return public


def _host_key(folder: Path, name: str) -> str:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    line = f"{public.decode()} root@{name}"
    _write(folder / "ssh_host_ed25519_key", private.decode(), 0o600)
    _write(folder / "ssh_host_ed25519_key.pub", line + "\n", 0o644)
    return line


def _write(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)
