"""Encryption at rest for secrets (TOTP seeds, SSH keys, passwords), keyed from the instance
secret."""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from the instance secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"panel", info=purpose.encode()).derive(
        secret.encode()
    )


def fernet(secret: str | None = None) -> Fernet:
    secret = secret or current_app.config["SECRET_KEY"]
    return Fernet(base64.urlsafe_b64encode(derive_key(secret, "fernet-at-rest")))


def encrypt(plain: str, secret: str | None = None) -> str:
    return fernet(secret).encrypt(plain.encode()).decode()


def decrypt(token: str, secret: str | None = None) -> str:
    try:
        return fernet(secret).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("secret cannot be decrypted with this instance's key") from exc


class EncryptedText(TypeDecorator):
    """A text column stored Fernet-encrypted; Python sees the clear value."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)
