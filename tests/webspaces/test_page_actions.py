"""The webspace page: irreversible actions ask first, naming what they act on; forms that cannot
succeed now are not offered and the page says why; a refused form keeps what was typed."""

import pytest
from confirmations import confirmation
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from webspace_jobs import fail, succeed

from panel.core.audit import acting
from panel.extensions import db
from panel.webspaces import databases, domains, operations, sftp_users


def public_line() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


@pytest.fixture
def furnished(login_as, make_webspace):
    """A member's active webspace with a domain, a database and an SFTP user, all set up."""
    client, user = login_as("member")
    webspace = make_webspace(user.member)
    with acting("cli"):
        domain, _ = domains.add_domain(webspace, "bäckerei-müller.de")
        database, job, _password = databases.create_database(webspace, "mariadb", "shop_wp")
        succeed(job)
        sftp_user, job = sftp_users.create_sftp_user(webspace, "anna", public_line())
        succeed(job)
    return client, webspace, domain, database, sftp_user


def test_irreversible_actions_ask_first_naming_the_object(furnished):
    client, webspace, domain, database, sftp_user = furnished
    page = client.get(f"/webspaces/{webspace.id}").text
    assert confirmation(page, f"/webspaces/{webspace.id}/delete") == (
        f"Delete the webspace {webspace.name}? Its sites go offline at once; its files can be "
        "restored only during the grace period."
    )
    assert confirmation(page, f"/domains/{domain.id}/delete") == (
        "Remove the domain bäckerei-müller.de? Its site no longer answers under this name."
    )
    assert confirmation(page, f"/databases/{database.id}/delete") == (
        f"Delete the database {database.name}? Sites using it stop working; after the grace "
        "period its data is gone for good."
    )
    assert database.name == f"{webspace.name}_shop_wp"
    assert confirmation(page, f"/sftp-users/{sftp_user.id}/delete").startswith(
        f"Remove the user {sftp_user.name}? "
    )
    # What can be undone at once asks nothing.
    assert confirmation(page, f"/domains/{domain.id}/verify") is None
    # The dialog the questions open, with Cancel first and focused, and its script.
    assert '<dialog id="confirm-dialog"' in page
    assert (
        '<button type="submit" value="cancel" class="secondary" autofocus>Cancel</button>' in page
    )
    assert '<script src="/static/confirm.js"></script>' in page


def test_the_confirmations_speak_german(furnished):
    client, webspace, _domain, database, _sftp_user = furnished
    client.post("/language", data={"lang": "de", "next": "/"})
    page = client.get(f"/webspaces/{webspace.id}").text
    assert confirmation(page, f"/databases/{database.id}/delete").startswith(
        f"Die Datenbank {database.name} löschen?"
    )
    assert ">Abbrechen</button>" in page


def test_purging_asks_the_office_first(login_as, make_webspace, make_member):
    webspace = make_webspace(make_member())
    with acting("cli"):
        _webspace, job = operations.delete_webspace(webspace)
        succeed(job)
    client, _ = login_as("admin")
    page = client.get(f"/webspaces/{webspace.id}").text
    assert confirmation(page, f"/webspaces/{webspace.id}/purge") == (
        f"Purge the webspace {webspace.name} now? Its archived files are gone for good."
    )


def test_a_failed_webspace_offers_no_additions_and_says_why(login_as, web_host):
    client, user = login_as("member")
    with acting("cli"):
        webspace, job = operations.create_webspace(user.member)
        fail(job)
    page = client.get(f"/webspaces/{webspace.id}").text
    assert f'action="/webspaces/{webspace.id}/domains"' not in page
    assert f'action="/webspaces/{webspace.id}/databases"' not in page
    assert f'action="/webspaces/{webspace.id}/sftp-users"' not in page
    assert page.count("Not possible while the webspace is failed.") == 3
    assert (
        '<p class="muted refusal">Add domain: Not possible while the webspace is failed.</p>'
        in page
    )


def test_a_full_plan_offers_no_more_and_says_why(login_as, make_webspace):
    client, user = login_as("member")
    webspace = make_webspace(user.member)
    webspace.max_databases = 0
    db.session.commit()
    page = client.get(f"/webspaces/{webspace.id}").text
    assert f'action="/webspaces/{webspace.id}/databases"' not in page
    assert (
        "New database: The webspace&#39;s plan allows 0; delete one or ask the office for more."
        in page
    )
    # The other forms can still succeed, so they are offered.
    assert f'action="/webspaces/{webspace.id}/domains"' in page
    assert f'action="/webspaces/{webspace.id}/sftp-users"' in page


def test_a_refused_domain_keeps_what_was_typed(login_as, make_webspace):
    client, user = login_as("member")
    webspace = make_webspace(user.member)
    response = client.post(
        f"/webspaces/{webspace.id}/domains",
        data={"name": "nicht gültig!.de", "redirect": "https://example.org/"},
    )
    assert response.status_code == 422
    assert 'value="nicht gültig!.de"' in response.text
    assert 'value="https://example.org/"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_a_refused_sftp_user_keeps_what_was_typed(login_as, make_webspace):
    client, user = login_as("member")
    webspace = make_webspace(user.member)
    response = client.post(
        f"/webspaces/{webspace.id}/sftp-users",
        data={"name": "anna", "public_keys": "ssh-ed25519 not-a-key anna@laptop"},
    )
    assert response.status_code == 422
    assert 'value="anna"' in response.text
    assert "ssh-ed25519 not-a-key anna@laptop</textarea>" in response.text
