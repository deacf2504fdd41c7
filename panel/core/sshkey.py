"""The panel's own SSH key pair, kept in the instance folder with its private half encrypted
by a passphrase derived from the instance secret."""

import base64
import functools
import io
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from panel.config import write_private_file
from panel.core.secrets import derive_key

KEY_NAME = "id_ed25519"


def key_passphrase(secret: str) -> bytes:
    return base64.urlsafe_b64encode(derive_key(secret, "ssh-key-passphrase"))


def key_paths(instance: Path) -> tuple[Path, Path]:
    folder = instance / "ssh"
    return folder / KEY_NAME, folder / f"{KEY_NAME}.pub"


def ensure_keypair(instance: Path, secret: str) -> Path:
    """Make the key pair unless it exists; returns the public key's path."""
    private_path, public_path = key_paths(instance)
    if private_path.exists() and public_path.exists():
        return public_path
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.BestAvailableEncryption(key_passphrase(secret)),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    write_private_file(private_path, private)
    write_private_file(public_path, public + b" panel\n")
    private_path.parent.chmod(0o700)
    return public_path


def load_private_key(instance: Path, secret: str) -> Ed25519PrivateKey:
    """The private key, decrypted once per key file: its bcrypt rounds cost 0.13 s of CPU (more
    on a busy machine), and jobs, host checks and the testbed's commands need it often. A new key
    file on disk is a new cache entry."""
    private_path, _ = key_paths(instance)
    return _decrypted(private_path, private_path.stat().st_mtime_ns, secret)


@functools.lru_cache(maxsize=4)
def _decrypted(path: Path, changed: int, secret: str) -> Ed25519PrivateKey:
    key = serialization.load_ssh_private_key(path.read_bytes(), key_passphrase(secret))
    # Bandit B101, a false positive: the assert narrows the type of a key the panel wrote.
    assert isinstance(key, Ed25519PrivateKey)  # nosec B101
    return key


def clear_key_pem(instance: Path, secret: str) -> str:
    """The private key without its passphrase (OpenSSH's PEM), for an ssh-agent or paramiko."""
    return (
        load_private_key(instance, secret)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        .decode()
    )


def ssh_client_key(instance: Path, secret: str) -> paramiko.Ed25519Key:
    """The private key for paramiko's connections."""
    return paramiko.Ed25519Key.from_private_key(io.StringIO(clear_key_pem(instance, secret)))
