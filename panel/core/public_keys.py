"""OpenSSH public key lines that members and resellers give for their SFTP and server users,
parsed with cryptography: the key types accepted, and RSA only from MIN_RSA_BITS."""

import base64
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import load_ssh_public_key

KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)
MIN_RSA_BITS = 3072
MAX_COMMENT = 100


class WeakKey(ValueError):
    """An RSA key shorter than MIN_RSA_BITS."""


@dataclass(frozen=True)
class PublicKey:
    line: str
    fingerprint: str
    comment: str


def parse_public_key(text: str) -> PublicKey:
    """One key line as authorized_keys takes it (type, key, comment cut to MAX_COMMENT), with
    its SHA256 fingerprint. Raises ValueError for anything else, WeakKey for a short RSA key."""
    parts = text.strip().split(None, 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise ValueError("not an OpenSSH public key line")
    try:
        key = load_ssh_public_key(f"{parts[0]} {parts[1]}".encode())
        blob = base64.b64decode(parts[1], validate=True)
    except (TypeError, UnicodeError) as exc:
        raise ValueError("not an OpenSSH public key line") from exc
    if parts[0] == "ssh-rsa" and getattr(key, "key_size", 0) < MIN_RSA_BITS:
        raise WeakKey(f"RSA keys need {MIN_RSA_BITS} bits or more")
    comment = parts[2].strip()[:MAX_COMMENT] if len(parts) > 2 else ""
    if any(not char.isprintable() for char in comment):
        raise ValueError("not an OpenSSH public key line")
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    line = " ".join(filter(None, (parts[0], parts[1], comment)))
    return PublicKey(line, f"SHA256:{digest}", comment)
