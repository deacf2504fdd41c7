"""Login attempts are limited per address (app.config["LOGIN_LIMIT"]); an account gets growing
delays instead of a lock, so that nobody can lock its owner out, and a password reset always
gets the person in."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from panel.accounts import operations, throttle
from panel.accounts.models import LoginThrottle
from panel.core.models import utcnow
from panel.extensions import db

ATTEMPTS = 10  # the default LOGIN_LIMIT: "10 per 15 minutes"
NEW_PASSWORD = "a brand new long passphrase"


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


@pytest.fixture
def login_limit(app):
    """Set a smaller limit for one test."""
    default = app.config["LOGIN_LIMIT"]

    def set_limit(value: str) -> None:
        app.config["LOGIN_LIMIT"] = value

    yield set_limit
    app.config["LOGIN_LIMIT"] = default


class Clock:
    """The time the delays are measured with, moved on by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = utcnow()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(throttle, "utcnow", lambda: frozen.now)
    return frozen


@pytest.fixture
def password_checks(monkeypatch):
    """How often a login looked at a password."""
    calls = []
    real = operations.verify_password

    def counting(password_hash, password):
        calls.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(operations, "verify_password", counting)
    return calls


def fail(client, form_login, email: str, attempts: int, clock=None, first_address: int = 0):
    """Wrong passwords for the address, each from another network address; with a clock, each
    after the wait the one before brought."""
    for attempt in range(attempts):
        response = form_login(
            client, email, "wrong password!", **from_address(f"10.9.{first_address}.{attempt}")
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        if clock is not None:
            clock.advance(throttle.delay_after(attempt + 1))


def announced_wait(response) -> int:
    """The seconds the page tells to wait."""
    match = re.search(r"Wait (\d+) seconds", response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return int(match.group(1))


def test_default_limit_is_ten_per_quarter_hour(app):
    assert app.config["LOGIN_LIMIT"] == f"{ATTEMPTS} per 15 minutes"


def test_delays_double_from_the_fourth_attempt_and_stop_at_five_minutes():
    delays = [throttle.delay_after(attempts) for attempts in range(1, 14)]

    assert delays == [0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]


def test_failures_on_one_account_bring_a_delay_not_a_lock(
    client, make_account, form_login, logged_in_as, clock, password_checks
):
    target = make_account()
    bystander = make_account()
    for attempt in range(throttle.FREE_ATTEMPTS):
        # Spelling the address differently does not open a new budget.
        email = target.user.email.upper() if attempt % 2 else f" {target.user.email} "
        response = form_login(client, email, "wrong password!", **from_address(f"10.0.0.{attempt}"))
        assert "Email or password is not right." in response.get_data(as_text=True)
    password_checks.clear()

    waiting = form_login(client, target.user.email, **from_address("10.0.1.1"))

    assert waiting.status_code == 429
    assert announced_wait(waiting) == 2
    assert password_checks == []
    assert logged_in_as(client) is None

    other = form_login(client, bystander.user.email, **from_address("10.0.1.1"))
    assert other.status_code == 302
    client.post("/logout")

    clock.advance(2)
    after_the_wait = form_login(client, target.user.email, **from_address("10.0.1.2"))
    assert after_the_wait.status_code == 302
    assert logged_in_as(client) == target.user.get_id()


def test_each_further_failure_waits_twice_as_long_up_to_five_minutes(
    client, make_account, form_login, clock
):
    email = make_account().user.email
    fail(client, form_login, email, throttle.FREE_ATTEMPTS)

    waits = []
    for attempt in range(10):
        refused = form_login(client, email, "wrong password!", **from_address(f"10.1.0.{attempt}"))
        assert refused.status_code == 429
        waits.append(announced_wait(refused))
        clock.advance(waits[-1])
        again = form_login(client, email, "wrong password!", **from_address(f"10.1.1.{attempt}"))
        assert again.status_code == 200

    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_a_wait_counts_no_attempt(client, make_account, form_login, clock):
    account = make_account()
    fail(client, form_login, account.user.email, throttle.FREE_ATTEMPTS)

    for attempt in range(5):
        refused = form_login(client, account.user.email, **from_address(f"10.2.0.{attempt}"))
        assert announced_wait(refused) == 2
    clock.advance(2)

    assert form_login(client, account.user.email, **from_address("10.2.1.1")).status_code == 302


def test_an_unknown_address_gets_the_same_delays(client, form_login, clock):
    fail(client, form_login, "nobody@example.org", throttle.FREE_ATTEMPTS)

    refused = form_login(client, "nobody@example.org", **from_address("10.3.0.1"))

    assert refused.status_code == 429
    assert announced_wait(refused) == 2


def test_a_correct_login_clears_the_failures(client, make_account, form_login, clock):
    account = make_account()
    fail(client, form_login, account.user.email, throttle.FREE_ATTEMPTS - 1)
    assert form_login(client, account.user.email, **from_address("10.4.0.1")).status_code == 302
    client.post("/logout")

    # Counted from nothing again: the free attempts first, then the first wait.
    fail(client, form_login, account.user.email, throttle.FREE_ATTEMPTS, first_address=1)

    assert form_login(client, account.user.email, **from_address("10.4.0.2")).status_code == 429


def test_forgotten_failures_start_again_and_go(client, make_account, form_login, clock):
    email = make_account().user.email
    fail(client, form_login, email, throttle.FREE_ATTEMPTS + 3, clock)
    clock.advance(throttle.FORGET_AFTER.total_seconds())

    fail(client, form_login, "someone.else@example.org", 1)

    [row] = db.session.scalars(select(LoginThrottle)).all()
    assert row.key == throttle.password_key("someone.else@example.org")
    assert form_login(client, email, **from_address("10.5.0.1")).status_code == 302


def test_a_password_reset_always_gets_the_person_in(
    client, app, make_account, form_login, smtp_server, clock, logged_in_as
):
    account = make_account()
    attacker = app.test_client()
    fail(attacker, form_login, account.user.email, throttle.FREE_ATTEMPTS)
    assert form_login(client, account.user.email).status_code == 429

    # Asking for a link and using it is never held up by the account's failures.
    asked = client.post("/password/forgot", data={"email": account.user.email})
    assert asked.status_code == 302
    [message] = smtp_server.messages
    link = message.get_content().split("http://panel.test", 1)[1].split()[0]
    assert client.post(link, data={"password": NEW_PASSWORD}).status_code == 302
    # The attacker goes on guessing and builds up a new delay at once ...
    fail(attacker, form_login, account.user.email, throttle.FREE_ATTEMPTS, first_address=1)
    assert form_login(attacker, account.user.email, NEW_PASSWORD).status_code == 429

    # ... but the browser that set the new password logs in without waiting.
    response = form_login(client, account.user.email, NEW_PASSWORD)

    assert response.status_code == 302
    db.session.refresh(account.user)
    assert logged_in_as(client) == account.user.get_id()
    assert form_login(attacker, account.user.email, NEW_PASSWORD).status_code == 302


def test_a_reset_clears_the_delay(client, make_account, form_login, smtp_server, clock):
    account = make_account()
    fail(client, form_login, account.user.email, throttle.FREE_ATTEMPTS + 2, clock)
    client.post("/password/forgot", data={"email": account.user.email})
    link = smtp_server.messages[0].get_content().split("http://panel.test", 1)[1].split()[0]

    client.post(link, data={"password": NEW_PASSWORD})

    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0
    other_browser = client.application.test_client()
    assert form_login(other_browser, account.user.email, NEW_PASSWORD).status_code == 302


def test_reset_mails_stop_at_three_open_links_which_keep_working(
    client, make_account, smtp_server, form_login
):
    account = make_account()

    for attempt in range(5):
        answer = client.post(
            "/password/forgot",
            data={"email": account.user.email},
            **from_address(f"10.6.0.{attempt}"),
        )
        assert answer.status_code == 302

    assert len(smtp_server.messages) == operations.OPEN_RESET_LINKS
    link = smtp_server.messages[0].get_content().split("http://panel.test", 1)[1].split()[0]
    assert client.post(link, data={"password": NEW_PASSWORD}).status_code == 302
    client.post("/password/forgot", data={"email": account.user.email})
    assert len(smtp_server.messages) == operations.OPEN_RESET_LINKS + 1


def test_one_address_is_limited_across_accounts(client, make_account, form_login, logged_in_as):
    account = make_account()
    for attempt in range(ATTEMPTS):
        response = form_login(client, f"guess{attempt}@example.org", **from_address("10.0.2.1"))
        assert response.status_code == 200

    blocked = form_login(client, account.user.email, **from_address("10.0.2.1"))
    assert blocked.status_code == 429
    assert logged_in_as(client) is None

    elsewhere = form_login(client, account.user.email, **from_address("10.0.2.2"))
    assert elsewhere.status_code == 302


def test_limit_comes_from_the_configuration(client, make_account, form_login, login_limit):
    login_limit("2 per 15 minutes")
    account = make_account()

    for attempt in range(2):
        assert form_login(client, f"guess{attempt}@example.org").status_code == 200
    assert form_login(client, account.user.email).status_code == 429


def test_wrong_codes_bring_delays_a_made_up_email_does_not_renew(
    client, make_account, form_login, logged_in_as, clock
):
    account = make_account(totp=True)
    form_login(client, account.user.email)
    wrong = f"{(int(account.code()) + 500_000) % 1_000_000:06d}"

    for attempt in range(throttle.FREE_ATTEMPTS):
        response = client.post(
            "/login/code",
            data={"code": wrong, "email": f"fresh{attempt}@example.org"},
            **from_address(f"10.0.3.{attempt}"),
        )
        assert response.status_code == 422

    waiting = client.post(
        "/login/code",
        data={"code": account.code(), "email": "fresh@example.org"},
        **from_address("10.0.3.9"),
    )
    assert waiting.status_code == 429
    assert announced_wait(waiting) == 2
    assert logged_in_as(client) is None

    clock.advance(2)
    accepted = client.post("/login/code", data={"code": account.code()})
    assert accepted.status_code == 302
    assert logged_in_as(client) == account.user.get_id()
