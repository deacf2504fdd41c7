"""Secrets at rest: Fernet-encrypted columns and the passphrase-protected SSH key."""

import os
import stat

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import text

from panel.core.secrets import decrypt, derive_key, encrypt
from panel.core.sshkey import (
    clear_key_pem,
    ensure_keypair,
    key_passphrase,
    key_paths,
    load_private_key,
    ssh_client_key,
)
from panel.extensions import db

SEED = "JBSWY3DPEHPK3PXP"


def test_encrypted_column_round_trip(app, make_user):
    user = make_user("admin")
    user.totp_secret = SEED
    db.session.commit()
    stored = db.session.execute(
        text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user.id}
    ).scalar_one()
    assert SEED not in stored
    assert decrypt(stored, app.config["SECRET_KEY"]) == SEED
    db.session.expire_all()
    assert db.session.get(type(user), user.id).totp_secret == SEED


def test_encryption_is_randomised():
    assert encrypt(SEED, "instance-secret") != encrypt(SEED, "instance-secret")


def test_another_instance_secret_cannot_decrypt():
    token = encrypt(SEED, "instance-secret")
    assert decrypt(token, "instance-secret") == SEED
    with pytest.raises(ValueError, match="cannot be decrypted"):
        decrypt(token, "another-instance-secret")


def test_tampered_token_is_refused():
    token = encrypt(SEED, "instance-secret")
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(ValueError):
        decrypt(tampered, "instance-secret")


def test_keys_differ_by_purpose_and_secret():
    keys = {
        derive_key("one", "fernet-at-rest"),
        derive_key("one", "ssh-key-passphrase"),
        derive_key("two", "fernet-at-rest"),
    }
    assert len(keys) == 3
    assert all(len(key) == 32 for key in keys)


def test_ssh_private_key_is_encrypted_at_rest(tmp_path):
    public_path = ensure_keypair(tmp_path, "instance-secret")
    private_path, _ = key_paths(tmp_path)
    data = private_path.read_bytes()
    assert data.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    with pytest.raises(TypeError, match="password"):
        serialization.load_ssh_private_key(data, password=None)
    with pytest.raises(ValueError):
        serialization.load_ssh_private_key(data, password=key_passphrase("another-secret"))
    with pytest.raises(ValueError):
        load_private_key(tmp_path, "another-secret")

    key = load_private_key(tmp_path, "instance-secret")
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    assert public_path.read_bytes().split()[:2] == public.split()[:2]


def test_ssh_key_files_are_private_and_kept(tmp_path):
    public_path = ensure_keypair(tmp_path, "instance-secret")
    private_path, _ = key_paths(tmp_path)
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(private_path.parent.stat().st_mode) == 0o700
    before = private_path.read_bytes(), public_path.read_bytes()
    assert ensure_keypair(tmp_path, "instance-secret") == public_path
    assert (private_path.read_bytes(), public_path.read_bytes()) == before


def test_paramiko_opens_the_key_with_the_passphrase(tmp_path):
    """Host onboarding connects with paramiko, so it must read the same file."""
    public_path = ensure_keypair(tmp_path, "instance-secret")
    private_path, _ = key_paths(tmp_path)
    with pytest.raises(paramiko.PasswordRequiredException):
        paramiko.Ed25519Key.from_private_key_file(str(private_path))
    key = paramiko.Ed25519Key.from_private_key_file(
        str(private_path), password=key_passphrase("instance-secret").decode()
    )
    assert key.get_base64() == public_path.read_text().split()[1]


def test_the_key_is_decrypted_once_per_key_file(tmp_path, monkeypatch):
    """Decrypting costs bcrypt rounds: jobs (the clear key for ssh-agent), connections (paramiko)
    and later calls get the key already open, and a new key written over the old one is read
    anew."""
    decrypt = serialization.load_ssh_private_key
    decrypted = []
    monkeypatch.setattr(
        serialization,
        "load_ssh_private_key",
        lambda *args: decrypted.append(args) or decrypt(*args),
    )
    public_path = ensure_keypair(tmp_path, "instance-secret")
    first = ssh_client_key(tmp_path, "instance-secret")
    assert first.get_base64() == public_path.read_text().split()[1]
    assert ssh_client_key(tmp_path, "instance-secret").get_base64() == first.get_base64()
    assert load_private_key(tmp_path, "instance-secret") is load_private_key(
        tmp_path, "instance-secret"
    )
    assert "PRIVATE KEY" in clear_key_pem(tmp_path, "instance-secret")
    assert len(decrypted) == 1
    for path in key_paths(tmp_path):
        path.unlink()
    renewed = ensure_keypair(tmp_path, "instance-secret")
    # A file time that moved on, as it does between one key and the next in production.
    private_path, _ = key_paths(tmp_path)
    later = private_path.stat().st_mtime_ns + 1_000_000
    os.utime(private_path, ns=(later, later))
    second = ssh_client_key(tmp_path, "instance-secret")
    assert second.get_base64() == renewed.read_text().split()[1] != first.get_base64()
    assert len(decrypted) == 2
