"""Every form of the web UI refuses a POST without a CSRF token and changes nothing. The list of
forms comes from the URL map, so a new form cannot escape this test."""

import itertools
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from panel.accounts import operations
from panel.accounts.models import PasswordResetToken
from panel.accounts.tokens import digest, new_token
from panel.coop import operations as coop_operations
from panel.coop.models import ShareTransaction
from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db

NEW_PASSWORD = "another long passphrase"
# Endpoints the brief names; the test also covers any other POST rule of the URL map.
KNOWN = {
    "accounts.login",
    "accounts.second_factor",
    "accounts.enrol",
    "accounts.logout",
    "accounts.profile",
    "accounts.password",
    "accounts.totp_disable",
    "accounts.recovery_codes",
    "accounts.token_create",
    "accounts.token_revoke",
    "accounts.forgot_password",
    "accounts.reset_password",
    "management.users",
    "management.account_edit",
    "management.account_role",
    "management.account_enabled",
    "management.account_password_link",
    "management.account_second_factor",
    "management.account_delete",
    "core.language",
    "coop.membership",
    "coop.member_new",
    "coop.member_contact",
    "coop.member_status",
    "coop.member_shares",
    "coop.share_reverse",
}
# Who sends the form; an admin unless named here.
SENDER = {"coop.membership": "member"}


def post_rules(app):
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and not rule.rule.startswith("/api/")
        ),
        key=lambda rule: rule.rule,
    )


def test_the_known_forms_are_all_found(app):
    assert {rule.endpoint for rule in post_rules(app)} >= KNOWN


@pytest.fixture
def world(make_account):
    """An admin with TOTP, a member with a share booking, an API token and a reset link."""
    admin = make_account("admin", totp=True)
    member = make_account()
    reset_token = new_token()
    with acting("cli"):
        api_token, _ = operations.create_api_token(admin.user, "ci")
        coop_operations.record_share_transaction(
            member.user.member, "subscription", 2, date.today()
        )
    db.session.add(
        PasswordResetToken(
            user_id=admin.user.id,
            token_hash=digest(reset_token),
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    db.session.commit()
    share = db.session.scalar(
        select(ShareTransaction).where(ShareTransaction.member_id == member.user.member_id)
    )
    return {
        "admin": admin,
        "member": member,
        "arguments": {
            "member_id": member.user.member_id,
            "transaction_id": share.id,
            "token_id": api_token.id,
            "token": reset_token,
            "login_id": member.user.id,
        },
    }


def form_data(endpoint: str, world) -> dict:
    """Input each form would act on: without the CSRF check, each of these changes something."""
    admin, member = world["admin"], world["member"]
    contact = {"name": "Changed Name", "email": "changed@example.org", "country": "DE"}
    today = date.today().isoformat()
    return {
        "accounts.login": {"email": admin.user.email, "password": admin.password},
        "accounts.second_factor": {"code": admin.code()},
        "accounts.enrol": {"code": admin.code()},
        "accounts.profile": {"display_name": "Changed", "locale": "de"},
        "accounts.password": {"current_password": admin.password, "new_password": NEW_PASSWORD},
        "accounts.totp_disable": {"code": admin.code()},
        "accounts.token_create": {"name": "sneaky"},
        "accounts.forgot_password": {"email": member.user.email},
        "accounts.reset_password": {"password": NEW_PASSWORD},
        "management.users": {
            "email": "new@example.org",
            "role": "member",
            "password": NEW_PASSWORD,
        },
        "management.account_edit": {"email": "renamed@example.org"},
        "management.account_role": {"role": "reseller"},
        "core.language": {"lang": "de", "next": "/"},
        "coop.membership": contact,
        "coop.member_new": {**contact, "prefix": "zzz", "kind": "natural", "admit": "y"},
        "coop.member_contact": contact,
        "coop.member_status": {"on": today},
        "coop.member_shares": {"kind": "subscription", "count": "3", "value_date": today},
        "coop.share_reverse": {"on": today},
    }.get(endpoint, {})


def urls(rule, arguments: dict) -> list[str]:
    """Every URL of the rule: each choice of an any() part, real ids where the world has them,
    a placeholder elsewhere (the CSRF check comes before the view looks anything up)."""
    choices = []
    # A default (e.g. a member's own page without their id) is no part of the path.
    for name in sorted(rule.arguments - set(rule.defaults or {})):
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            choices.append([(name, item) for item in sorted(converter.items)])
        elif name in arguments:
            choices.append([(name, arguments[name])])
        else:
            placeholder = 1 if isinstance(converter, IntegerConverter) else "x"
            choices.append([(name, placeholder)])
    return [rule.build(dict(combination))[1] for combination in itertools.product(*choices)]


def database_state() -> dict[str, list[str]]:
    """Every row of every table."""
    db.session.expire_all()
    return {
        table.name: sorted(repr(tuple(row)) for row in db.session.execute(table.select()))
        for table in db.metadata.sorted_tables
    }


def session_state(client) -> dict:
    with client.session_transaction() as session:
        return {key: value for key, value in session.items() if key != "csrf_token"}


@contextmanager
def undone(connection):
    """Roll back whatever happens inside, so each form meets the same world."""
    db.session.close()
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        db.session.close()
        savepoint.rollback()


def test_every_form_refuses_a_post_without_csrf_token(
    app, transaction, world, login_as, csrf_enabled, csrf_token
):
    checked = []
    for rule in post_rules(app):
        sender = world[SENDER.get(rule.endpoint, "admin")]
        for url in urls(rule, world["arguments"]):
            data = form_data(rule.endpoint, world)
            with undone(transaction):
                client, _ = login_as(sender.user)
                token = csrf_token(client, "/account")
                before, session_before = database_state(), session_state(client)

                refused = client.post(url, data=data)

                assert refused.status_code == 400, url
                assert "The CSRF token is missing." in refused.get_data(as_text=True), url
                assert database_state() == before, url
                assert session_state(client) == session_before, url

                if rule.endpoint in KNOWN:
                    # With its token the same post gets through (forms of other features,
                    # with placeholder ids, are not sent: they could start real work).
                    accepted = client.post(url, data={**data, "csrf_token": token})
                    assert "CSRF" not in accepted.get_data(as_text=True), url
                    assert accepted.status_code != 400, url
            checked.append(rule.endpoint)
    assert set(checked) >= KNOWN


def test_a_wrong_csrf_token_is_refused_too(client, make_account, csrf_enabled, form_login):
    account = make_account()

    response = client.post(
        "/login",
        data={"email": account.user.email, "password": account.password, "csrf_token": "forged"},
    )

    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_form_works_with_its_token(client, make_account, csrf_enabled, csrf_token):
    account = make_account()
    token = csrf_token(client, "/login")

    response = client.post(
        "/login",
        data={"email": account.user.email, "password": account.password, "csrf_token": token},
    )

    assert response.status_code == 302
    assert client.get("/").status_code == 200
