"""Login attempts are limited per account and per address (app.config["LOGIN_LIMIT"])."""

import pytest

ATTEMPTS = 10  # the default LOGIN_LIMIT: "10 per 15 minutes"


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


def test_default_limit_is_ten_per_quarter_hour(app):
    assert app.config["LOGIN_LIMIT"] == f"{ATTEMPTS} per 15 minutes"


def test_one_account_is_limited_across_addresses(client, make_account, form_login, logged_in_as):
    target = make_account().user
    bystander = make_account().user
    for attempt in range(ATTEMPTS):
        # Spelling the address differently does not open a new budget.
        email = target.email.upper() if attempt % 2 else f" {target.email} "
        response = form_login(client, email, "wrong password!", **from_address(f"10.0.0.{attempt}"))
        assert response.status_code == 200

    blocked = form_login(client, target.email, **from_address("10.0.1.1"))
    assert blocked.status_code == 429
    assert logged_in_as(client) is None

    other = form_login(client, bystander.email, **from_address("10.0.1.1"))
    assert other.status_code == 302


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


def test_second_factor_budget_cannot_be_renewed_with_a_made_up_email(
    client, make_account, form_login, login_limit, logged_in_as
):
    login_limit("3 per 15 minutes")
    account = make_account(totp=True)
    form_login(client, account.user.email)
    wrong = f"{(int(account.code()) + 500_000) % 1_000_000:06d}"

    for attempt in range(3):
        response = client.post(
            "/login/code",
            data={"code": wrong, "email": f"fresh{attempt}@example.org"},
            **from_address(f"10.0.3.{attempt}"),
        )
        assert response.status_code == 422

    blocked = client.post(
        "/login/code",
        data={"code": account.code(), "email": "fresh@example.org"},
        **from_address("10.0.3.9"),
    )
    assert blocked.status_code == 429
    assert logged_in_as(client) is None
