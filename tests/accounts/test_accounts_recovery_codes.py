"""Recovery codes: 80 secret bits each, stored as argon2 hashes, each usable once; codes of the
older kind (48 bits, SHA-256) keep working once each, and their owner is asked for new ones."""

import math
import re

import pytest
from sqlalchemy import select, text, update

from panel.accounts import operations, passwords, totp
from panel.accounts.models import RecoveryCode
from panel.accounts.tokens import digest
from panel.extensions import db

CODE = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){4}$")
LEGACY = ["0a1b-2c3d-4e5f", "9f8e-7d6c-5b4a"]
ASKED_FOR_NEW = "Your recovery codes are of an older, weaker kind."


def rows(user) -> list[RecoveryCode]:
    return list(
        db.session.scalars(
            select(RecoveryCode).where(RecoveryCode.user_id == user.id).order_by(RecoveryCode.id)
        )
    )


def with_legacy_codes(account) -> None:
    """Replace the account's codes by codes stored the older way."""
    db.session.execute(
        RecoveryCode.__table__.delete().where(RecoveryCode.user_id == account.user.id)
    )
    for code in LEGACY:
        db.session.add(RecoveryCode(user_id=account.user.id, code_hash=digest(code)))
    db.session.commit()


def second_step(client, form_login, account, code: str):
    form_login(client, account.user.email)
    return client.post("/login/code", data={"code": code}, follow_redirects=True)


def test_codes_carry_80_secret_bits_and_are_stored_with_argon2(make_account):
    account = make_account(totp=True)

    codes = account.recovery_codes
    stored = rows(account.user)

    assert len(codes) == totp.RECOVERY_CODE_COUNT == len(stored)
    assert all(CODE.match(code) for code in codes)
    secret_bits = totp.RECOVERY_SECRET_LENGTH * math.log2(len(totp.RECOVERY_ALPHABET))
    assert secret_bits >= 80
    assert sorted(code[:4] for code in codes) == sorted(row.selector for row in stored)
    for code, row in zip(sorted(codes), sorted(stored, key=lambda row: row.selector), strict=True):
        secret = code.replace("-", "")[4:]
        assert row.code_hash.startswith("$argon2id$")
        assert secret not in row.code_hash
        assert passwords.verify_password(row.code_hash, secret)
    # The suite's cheap argon2 parameters reach the codes too (the autouse fixture).
    assert "m=8,t=1,p=1" in stored[0].code_hash
    raw = db.session.execute(
        text("SELECT code_hash FROM recovery_codes WHERE user_id = :id"), {"id": account.user.id}
    ).scalars()
    assert not any(code.replace("-", "")[4:] in value for code in codes for value in raw)
    # The selector finds the row, the secret part decides.
    code = codes[0]
    wrong = code[:5] + ("A" if code[5] != "A" else "B") + code[6:]
    assert not operations.verify_second_factor(account.user, wrong)
    assert operations.remaining_recovery_codes(account.user) == totp.RECOVERY_CODE_COUNT


def test_a_code_works_once_however_it_is_typed(client, make_account, form_login, logged_in_as):
    account = make_account(totp=True)
    code = account.recovery_codes[3]
    typed = " ".join(code.lower().split("-"))

    page = second_step(client, form_login, account, typed)
    assert page.status_code == 200
    assert logged_in_as(client) == account.user.get_id()
    # Codes of this kind need no replacing.
    assert ASKED_FOR_NEW not in page.get_data(as_text=True)
    assert ASKED_FOR_NEW not in client.get("/account").get_data(as_text=True)
    client.post("/logout")

    again = second_step(client, form_login, account, code)

    assert again.status_code == 422
    assert logged_in_as(client) is None
    assert operations.remaining_recovery_codes(account.user) == totp.RECOVERY_CODE_COUNT - 1


def test_a_code_used_meanwhile_by_another_request_is_refused(make_account, monkeypatch):
    """Two requests with the same code: the one that finds it used when it writes is refused,
    though the code was unused when it read the row."""
    account = make_account(totp=True)
    real = operations.verify_password

    def other_request_first(code_hash, secret):
        db.session.execute(
            update(RecoveryCode.__table__)
            .where(RecoveryCode.user_id == account.user.id)
            .values(used_at=db.func.current_timestamp())
        )
        return real(code_hash, secret)

    monkeypatch.setattr(operations, "verify_password", other_request_first)

    assert not operations.verify_second_factor(account.user, account.recovery_codes[0])


@pytest.mark.parametrize("typed", ["0A1B-2C3D-4E5F", " 0a1b-2c3d-4e5f "])
def test_older_codes_work_once_and_the_owner_is_asked_for_new_ones(
    client, make_account, form_login, login_as, logged_in_as, typed
):
    account = make_account(totp=True)
    with_legacy_codes(account)

    page = second_step(client, form_login, account, typed)

    assert logged_in_as(client) == account.user.get_id()
    assert ASKED_FOR_NEW in page.get_data(as_text=True)
    assert ASKED_FOR_NEW in client.get("/account").get_data(as_text=True)
    client.post("/logout")
    assert second_step(client, form_login, account, typed).status_code == 422

    owner_client, _ = login_as(account.user)
    fresh = owner_client.post("/account/recovery-codes").get_data(as_text=True)
    assert len(re.findall(r"<li><code>([A-Z2-7-]{24})</code></li>", fresh)) == 10
    assert ASKED_FOR_NEW not in owner_client.get("/account").get_data(as_text=True)
    assert not operations.verify_second_factor(account.user, LEGACY[1])
