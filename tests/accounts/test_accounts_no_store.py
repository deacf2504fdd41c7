"""Answers that show a secret once (the TOTP key and QR code, recovery codes, a new API token, a
password reset link's page) may be kept by no cache, the browser's included; other pages may."""

import re
from datetime import timedelta

import pyotp

from panel.accounts.models import PasswordResetToken
from panel.accounts.tokens import digest, new_token
from panel.core.models import utcnow
from panel.extensions import db


def not_stored(response) -> bool:
    return (
        response.headers.get("Cache-Control") == "no-store"
        and response.headers.get("Pragma") == "no-cache"
    )


def test_the_enrolment_page_and_the_recovery_codes_it_leads_to(make_account, login_as):
    member_client, _ = login_as(make_account().user)

    page = member_client.get("/login/enrol")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.get_data(as_text=True)).group(1)
    wrong = member_client.post("/login/enrol", data={"code": "12345"})
    codes = member_client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now()})

    assert page.status_code == 200 and not_stored(page)
    # Shown again with the form's error: the key is still on the page.
    assert wrong.status_code == 422 and secret in wrong.get_data(as_text=True)
    assert not_stored(wrong)
    assert codes.status_code == 200 and 'id="recovery-codes"' in codes.get_data(as_text=True)
    assert not_stored(codes)


def test_new_recovery_codes(make_account, login_as):
    member_client, _ = login_as(make_account(totp=True).user)

    response = member_client.post("/account/recovery-codes")

    assert response.status_code == 200 and 'id="recovery-codes"' in response.get_data(as_text=True)
    assert not_stored(response)


def test_a_new_token_on_the_account_page(make_account, login_as):
    member_client, _ = login_as(make_account().user)

    response = member_client.post("/account/tokens", data={"name": "laptop"})

    assert response.status_code == 200
    assert not_stored(response)


def test_a_new_token_from_the_api(api_as):
    client, _ = api_as("member")

    response = client.post("/api/v1/account/tokens", json={"name": "ci"})

    assert response.status_code == 201 and response.json["token"]
    assert not_stored(response)


def test_the_page_of_a_password_reset_link(client, make_account):
    """Its address is the secret: a cached copy would keep a link that sets a password."""
    account = make_account()
    token = new_token()
    db.session.add(
        PasswordResetToken(
            user_id=account.user.id,
            token_hash=digest(token),
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    db.session.commit()

    response = client.get(f"/password/reset/{token}")

    assert response.status_code == 200
    assert not_stored(response)


def test_pages_without_a_secret_may_be_kept(make_account, login_as):
    member_client, _ = login_as(make_account().user)

    response = member_client.get("/account")

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
