"""A member's data export: one ZIP of every feature's part, the member's own rows and nobody
else's, no secret anywhere in it, from the account page and the API."""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from ledger_rows import ledger_row
from sqlalchemy import select, text

from panel.accounts.models import ApiToken
from panel.accounts.operations import create_api_token
from panel.billing import operations as billing
from panel.billing.models import Invoice
from panel.coop import notices
from panel.core.audit import AuditEntry, acting
from panel.core.export import CHUNK_ROWS, json_array
from panel.core.models import utcnow
from panel.extensions import db
from panel.webspaces import databases, domains, sftp_users

PARTS = {
    "account",
    "membership",
    "webspaces",
    "servers",
    "video",
    "usage",
    "billing",
    "governance",
}
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def public_line() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def last_month():
    first = utcnow().date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def opened(answer) -> dict[str, bytes]:
    """The archive's files by path."""
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def secrets_of(member, clear_password: str, clear_token: str) -> list[bytes]:
    """What must never leave: clear secrets and their stored forms (hashes, ciphertexts)."""
    (user,) = member.users
    stored = db.session.execute(
        text("SELECT password_hash, totp_secret FROM users WHERE id = :id"), {"id": user.id}
    ).one()
    ciphertexts = db.session.execute(
        text("SELECT password FROM databases WHERE member_id = :id"), {"id": member.id}
    ).scalars()
    token_hashes = db.session.scalars(
        select(ApiToken.token_hash).where(ApiToken.user_id == user.id)
    )
    return [
        s.encode()
        for s in (
            clear_password,
            clear_token,
            TOTP_SECRET,
            *stored,
            *ciphertexts,
            *token_hashes,
        )
    ]


@pytest.fixture
def member_with_data(make_member, make_webspace, make_user):
    """Make a member with a webspace, a domain, a database, an SFTP user, usage rows, a second
    factor, an API token and an issued invoice; returns the member and its secrets."""
    admin = make_user("admin")

    def make(prefix: str):
        member = make_member(prefix)
        member.admitted_on = last_month()
        user = member.users[0]
        user.totp_secret = TOTP_SECRET
        user.totp_enabled_at = utcnow()
        db.session.commit()
        webspace = make_webspace(member)
        with acting("cli", admin):
            domains.add_domain(webspace, f"{prefix}-shop.example")
            _, _, password = databases.create_database(webspace, "mariadb", "shop")
            sftp_users.create_sftp_user(webspace, "anna", [public_line()])
        with acting("cli", user):
            _, token = create_api_token(user, "laptop")
        month = last_month()
        for hour in range(3):
            start = datetime(month.year, month.month, 2, hour, tzinfo=UTC)
            ledger_row(webspace, "traffic", 1000 + hour, start)
        return member, secrets_of(member, password, token)

    return make


@pytest.fixture
def two_members(member_with_data):
    """Two members with data of their own and an issued invoice each."""
    one, one_secrets = member_with_data("exa")
    two, _ = member_with_data("exb")
    with acting("cli"):
        period = billing.open_period(last_month().strftime("%Y-%m"), vat_percent="19")
        billing.update_period(period, {"membership_fee": "2.00"})
        billing.run_period(period)
        billing.issue(period)
    return one, two, one_secrets


def test_a_member_downloads_its_own_data_from_the_account_page(two_members, login_as):
    one, two, secrets = two_members
    client, _ = login_as(one.users[0])

    answer = client.get("/account/export")

    assert answer.status_code == 200
    assert answer.mimetype == "application/zip"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"{one.number}-{utcnow().date().isoformat()}.zip" in disposition
    assert "no-store" in answer.headers["Cache-Control"]
    files = opened(answer)
    assert {path.split("/")[0] for path in files} == {*PARTS, "manifest.json"}
    manifest = json.loads(files["manifest.json"])
    assert manifest["member_number"] == one.number and manifest["format_version"] == 1
    assert {entry["path"] for entry in manifest["files"]} == set(files) - {"manifest.json"}
    assert "Mitglied" in manifest["about"]["de"] and "member" in manifest["about"]["en"]

    webspaces = json.loads(files["webspaces/webspaces.json"])
    assert [webspace["name"] for webspace in webspaces] == ["exa00"]
    assert [d["name"] for d in json.loads(files["webspaces/domains.json"])] == ["exa-shop.example"]
    assert [d["name"] for d in json.loads(files["webspaces/databases.json"])] == ["exa00_shop"]
    assert [u["name"] for u in json.loads(files["webspaces/sftp_users.json"])] == ["exa00-anna"]
    ledger = json.loads(files["usage/ledger.json"])
    assert [Decimal(row["quantity"]) for row in ledger] == [1000, 1001, 1002]
    assert {row["resource_name"] for row in ledger} == {"exa00"}
    (invoice,) = json.loads(files["billing/invoices.json"])
    assert files[f"billing/invoices/{invoice['number']}.pdf"].startswith(b"%PDF")
    assert b"CrossIndustryInvoice" in files[f"billing/invoices/{invoice['number']}.xml"]
    (user,) = json.loads(files["account/users.json"])
    assert user["email"] == one.users[0].email and user["totp_enabled"] is True
    assert json.loads(files["membership/member.json"])["number"] == one.number

    everything = answer.data + b"".join(files.values())
    other_invoice = db.session.scalar(select(Invoice).where(Invoice.member_id == two.id))
    for foreign in (b"exb00", b"exb-shop", two.number.encode(), other_invoice.number.encode()):
        assert foreign not in everything
    for secret in secrets:
        assert secret not in everything


def test_the_export_is_in_the_audit_log(two_members, login_as):
    one, _, _ = two_members
    client, user = login_as(one.users[0])

    client.get("/account/export")

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "member.export"))
    assert entry.member_id == one.id and entry.actor_id == user.id
    assert "You downloaded all data of" in client.get("/audit").text


def test_an_admin_exports_any_member_through_the_api(two_members, api_as):
    _, two, _ = two_members
    client, _ = api_as("admin")

    answer = client.get(f"/api/v1/members/{two.id}/export")

    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    files = opened(answer)
    assert json.loads(files["membership/member.json"])["number"] == two.number
    assert b"exa00" not in b"".join(files.values())


def test_a_member_exports_itself_through_the_api_and_nobody_else(two_members, api_as):
    one, two, _ = two_members
    client, _ = api_as(one.users[0])

    assert client.get(f"/api/v1/members/{one.id}/export").status_code == 200
    refused = client.get(f"/api/v1/members/{two.id}/export")
    assert refused.status_code == 404 and refused.json["error"]["code"] == "not_found"


def test_logins_without_a_member_have_nothing_to_export(login_as, make_user):
    reseller = make_user("reseller")
    for role, extra in (("admin", {}), ("customer", {"reseller": reseller})):
        client, _ = login_as(role, **extra)
        assert client.get("/account/export").status_code == 404
        assert "Download all my data" not in client.get("/account").text


def test_the_account_page_offers_the_download_in_german(login_as):
    client, user = login_as("member")
    user.locale = "de"
    db.session.commit()

    page = client.get("/account").text

    assert "Alle meine Daten herunterladen" in page
    assert 'href="/account/export"' in page


def test_exports_are_rate_limited(login_as):
    client, _ = login_as("member")
    answers = [client.get("/account/export").status_code for _ in range(11)]
    assert answers[:10] == [200] * 10 and answers[10] == 429


@pytest.mark.parametrize("count", [0, 1, CHUNK_ROWS, CHUNK_ROWS * 2 + 1])
def test_a_streamed_array_is_one_json_array_in_chunks(count):
    rows = (
        {"n": n, "quantity": Decimal(n), "at": datetime(2026, 1, 1, tzinfo=UTC)}
        for n in range(count)
    )

    chunks = list(json_array(rows))

    assert len(chunks) == 2 + -(-count // CHUNK_ROWS)
    parsed = json.loads(b"".join(chunks))
    assert [row["n"] for row in parsed] == list(range(count))
    assert parsed[-1:] in (
        [],
        [{"n": count - 1, "quantity": str(count - 1), "at": "2026-01-01T00:00:00+00:00"}],
    )


def test_notices_on_shares_are_in_the_export(make_member, api_as):
    member = make_member("exn")
    with acting("cli"):
        notices.subscribe_shares(member, 3)
        notice = notices.give_share_notice(member, 2)
    client, _ = api_as(member.users[0])

    files = opened(client.get(f"/api/v1/members/{member.id}/export"))

    (listed,) = json.loads(files["membership/notices.json"])
    assert (listed["count"], listed["effective_on"]) == (2, notice.effective_on.isoformat())
    assert json.loads(files["membership/payouts.json"]) == []
