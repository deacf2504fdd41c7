"""A TOTP code is accepted once: the user's last used time step is stored, and a code of the same
or an earlier step is refused wherever a code is checked, also when two requests bring the same
code at the same moment."""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest
from sqlalchemy import update

from panel.accounts import operations, totp
from panel.accounts.models import User
from panel.core.audit import acting
from panel.core.errors import ValidationFailed
from panel.core.migrate import upgrade
from panel.extensions import db

PASSWORD = "a long and secret passphrase"


def step_codes(secret: str) -> tuple[str, str]:
    """The codes of the current time step and of the next one (which phones a little ahead
    show, and which is accepted too)."""
    otp = pyotp.TOTP(secret)
    now = otp.timecode(time.time())
    return otp.generate_otp(now), otp.generate_otp(now + 1)


def log_in_with_code(client, form_login, account, code: str):
    form_login(client, account.user.email)
    return client.post("/login/code", data={"code": code})


def test_a_code_logs_in_once(client, make_account, form_login, logged_in_as):
    account = make_account(totp=True)
    code = account.code()
    assert log_in_with_code(client, form_login, account, code).status_code == 302
    client.post("/logout")

    replayed = log_in_with_code(client, form_login, account, code)

    assert replayed.status_code == 422
    assert "The code does not match." in replayed.get_data(as_text=True)
    assert logged_in_as(client) is None
    db.session.refresh(account.user)
    assert account.user.totp_last_step == totp.matching_step(account.secret, code)


def test_after_a_code_no_code_of_an_earlier_step_is_taken(
    client, make_account, form_login, logged_in_as
):
    account = make_account(totp=True)
    current, following = step_codes(account.secret)
    assert log_in_with_code(client, form_login, account, following).status_code == 302
    client.post("/logout")

    earlier = log_in_with_code(client, form_login, account, current)

    assert earlier.status_code == 422
    assert logged_in_as(client) is None


def test_the_enrolment_code_does_not_log_in_again(client, make_account, login_as, form_login):
    account = make_account()
    member_client, user = login_as(account.user)
    page = member_client.get("/login/enrol")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.get_data(as_text=True)).group(1)
    code = pyotp.TOTP(secret).now()
    assert member_client.post("/login/enrol", data={"code": code}).status_code == 200

    form_login(client, user.email)
    replayed = client.post("/login/code", data={"code": code})

    assert replayed.status_code == 422


def test_a_used_code_does_not_turn_the_second_factor_off(
    client, make_account, form_login, audit_entries
):
    account = make_account(totp=True)
    code = account.code()
    assert log_in_with_code(client, form_login, account, code).status_code == 302

    response = client.post("/account/totp/disable", data={"code": code})

    assert response.status_code == 422
    db.session.refresh(account.user)
    assert account.user.totp_enabled
    assert audit_entries("user.totp_disable") == []


def test_a_step_used_meanwhile_by_another_request_is_refused(make_account, monkeypatch):
    """The check is made by the database row, not by the copy this request loaded: another
    request with the same code may store the step after this one read the user."""
    account = make_account(totp=True)
    user = account.user
    code = account.code()
    assert user.totp_last_step is not None
    real = totp.matching_step

    def other_request_first(secret: str, typed: str):
        step = real(secret, typed)
        db.session.execute(
            update(User.__table__).where(User.id == user.id).values(totp_last_step=step)
        )
        return step

    monkeypatch.setattr(totp, "matching_step", other_request_first)

    assert not operations.verify_second_factor(user, code)


def test_two_enrolments_with_one_code_enable_once(make_account):
    user = make_account().user
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).now()
    with acting("cli"):
        codes = operations.enable_totp(user, secret, code)
    user.totp_enabled_at = None  # as the other request saw the row: not enabled yet

    with pytest.raises(ValidationFailed) as refused, acting("cli"):
        operations.enable_totp(user, secret, code)

    assert refused.value.fields == {"code": ["This code was used already. Wait for the next one."]}
    db.session.rollback()
    assert operations.verify_second_factor(user, codes[0])


def test_the_same_code_sent_twice_at_the_same_moment_logs_in_once(scratch_database_url, make_app):
    upgrade(scratch_database_url)
    app = make_app(scratch_database_url, WTF_CSRF_ENABLED=False, SERVER_NAME="panel.test")
    secret = totp.new_secret()
    with app.app_context(), acting("cli"):
        user = operations.create_user("racer@example.org", "admin", password=PASSWORD)
        current, following = step_codes(secret)
        operations.enable_totp(user, secret, current)
    clients = [app.test_client() for _ in range(4)]
    for client in clients:
        answer = client.post("/login", data={"email": "racer@example.org", "password": PASSWORD})
        assert answer.headers["Location"].startswith("/login/code")
    together = threading.Barrier(len(clients))

    def send(client) -> int:
        together.wait()
        return client.post("/login/code", data={"code": following}).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(send, clients))

    assert statuses.count(302) == 1, statuses
    assert set(statuses) <= {302, 422, 429}, statuses
