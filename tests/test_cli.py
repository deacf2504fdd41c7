"""The `panel` command: init, user create, list and set, token create — each against a fresh
instance folder and SQLite file of its own, never the suite's shared database."""

import re
import stat
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from panel import create_app
from panel.accounts.models import ApiToken, User
from panel.cli import main
from panel.core.audit import AuditEntry
from panel.extensions import db
from panel.hosts.models import Host

GOOD_PASSWORD = "a long and secret passphrase"
FAKE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


@pytest.fixture(autouse=True)
def transaction():
    """Replaces the suite's per-test transaction on the shared database: these tests must not
    touch it, and the commands open databases of their own."""
    yield


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def panel(instance):
    """Run `panel ARGS...` with its own instance folder and database; returns the result."""
    runner = CliRunner()
    env = {
        "PANEL_INSTANCE": str(instance),
        "PANEL_DATABASE_URL": f"sqlite:///{instance / 'panel.db'}",
        "PANEL_SECRET_KEY": None,
        "PANEL_SMTP_URL": None,
    }

    def run(*args: str):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return run


@pytest.fixture
def web(instance):
    """The web app on the instance the commands made; made on first use, after the commands."""
    made = []

    def application():
        if not made:
            made.append(
                create_app(
                    {
                        "TESTING": True,
                        "INSTANCE_PATH": str(instance),
                        "DATABASE_URL": f"sqlite:///{instance / 'panel.db'}",
                        "WTF_CSRF_ENABLED": False,
                    }
                )
            )
        return made[0]

    yield application
    for app in made:
        with app.app_context():
            db.engine.dispose()


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def generated_password(output: str) -> str:
    match = re.search(r"admin password \(shown once\): (\S+)", output)
    assert match, output
    return match.group(1)


def admins(application) -> list[str]:
    with application.app_context():
        return list(db.session.scalars(select(User.email).where(User.role == "admin")))


def test_init_makes_a_private_instance_and_prints_the_admin_password(panel, instance, web):
    assert not instance.exists()

    result = panel("init")

    assert result.exit_code == 0, result.output
    for name in ("secret_key", "panel.db", "ssh/id_ed25519", "ssh/id_ed25519.pub"):
        assert mode(instance / name) == 0o600, name
    assert (instance / "ssh/id_ed25519.pub").read_text().startswith("ssh-ed25519 ")
    password = generated_password(result.output)
    assert admins(web()) == ["admin@example.org"]

    response = (
        web()
        .test_client()
        .post("/login", data={"email": "admin@example.org", "password": password})
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/enrol")


def test_init_twice_is_safe(panel, instance, web):
    first = panel("init")
    keys = {
        name: (instance / name).read_bytes()
        for name in ("secret_key", "ssh/id_ed25519", "ssh/id_ed25519.pub")
    }

    second = panel("init", "--admin-email", "other@example.org")

    assert second.exit_code == 0, second.output
    assert "admin exists: admin@example.org" in second.output
    assert "password" not in second.output
    assert admins(web()) == ["admin@example.org"]
    for name, content in keys.items():
        assert (instance / name).read_bytes() == content, name
    assert generated_password(first.output)


def test_init_uses_the_given_password_and_does_not_print_it(panel, web):
    result = panel("init", "--admin-email", "board@example.org", "--admin-password", GOOD_PASSWORD)

    assert result.exit_code == 0, result.output
    assert GOOD_PASSWORD not in result.output
    assert "shown once" not in result.output
    response = (
        web()
        .test_client()
        .post("/login", data={"email": "board@example.org", "password": GOOD_PASSWORD})
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/enrol")


def test_init_refuses_a_weak_password_with_a_message(panel, web):
    result = panel("init", "--admin-password", "short")

    assert result.exit_code != 0
    assert "Use at least 12 characters." in result.output
    assert admins(web()) == []


def test_user_create(panel, web):
    panel("init")

    result = panel(
        "user", "create", "Member@Example.org", "--role", "member", "--password", GOOD_PASSWORD
    )

    assert result.exit_code == 0, result.output
    assert "created member member@example.org" in result.output
    with web().app_context():
        user = db.session.scalar(select(User).where(User.email == "member@example.org"))
        assert user.role == "member"
    response = (
        web()
        .test_client()
        .post("/login", data={"email": "member@example.org", "password": GOOD_PASSWORD})
    )
    assert response.headers["Location"] == "/"


def test_user_create_refuses_a_taken_email(panel, web):
    panel("init")
    panel("user", "create", "twice@example.org", "--role", "member", "--password", GOOD_PASSWORD)

    result = panel(
        "user", "create", "TWICE@example.org", "--role", "reseller", "--password", GOOD_PASSWORD
    )

    assert result.exit_code != 0
    assert "This email address already has an account." in result.output
    with web().app_context():
        assert db.session.scalar(select(func.count()).where(User.email == "twice@example.org")) == 1


def test_user_create_refuses_a_bad_email(panel, web):
    panel("init")

    result = panel("user", "create", "not-an-email", "--role", "member")

    assert result.exit_code != 0
    assert "Not a valid email address" in result.output
    with web().app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_user_create_refuses_an_unknown_role(panel):
    panel("init")

    result = panel("user", "create", "x@example.org", "--role", "emperor")

    assert result.exit_code != 0
    assert "emperor" in result.output


def test_token_create_prints_a_working_token(panel, web):
    panel("init", "--admin-password", GOOD_PASSWORD)

    result = panel("token", "create", "admin@example.org")

    assert result.exit_code == 0, result.output
    token = result.output.strip()
    answer = (
        web().test_client().get("/api/v1/account", headers={"Authorization": f"Bearer {token}"})
    )
    assert answer.status_code == 200
    assert answer.json["email"] == "admin@example.org"
    assert web().test_client().get("/api/v1/account").status_code == 401


def test_token_create_with_expiry_and_read_only_scope(panel, web):
    panel("init", "--admin-password", GOOD_PASSWORD)

    result = panel("token", "create", "admin@example.org", "--expires-days", "7", "--read-only")

    assert result.exit_code == 0, result.output
    token = result.output.strip()
    client = web().test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    [listed] = client.get("/api/v1/account/tokens").json
    assert listed["read_only"] is True
    expires = datetime.fromisoformat(listed["expires_at"])
    assert timedelta(days=7) - (expires - datetime.now(UTC)) < timedelta(minutes=1)
    refused = client.patch("/api/v1/account", json={"locale": "de"})
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "read_only_token")


@pytest.mark.parametrize("days", ["0", "731"])
def test_token_create_refuses_an_expiry_out_of_bounds(panel, web, days):
    panel("init", "--admin-password", GOOD_PASSWORD)

    result = panel("token", "create", "admin@example.org", "--expires-days", days)

    assert result.exit_code != 0
    assert "Must be at" in result.output
    with web().app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_token_create_for_an_unknown_user_fails(panel):
    panel("init")

    result = panel("token", "create", "nobody@example.org")

    assert result.exit_code != 0
    assert "no user with email nobody@example.org" in result.output


def test_user_create_a_customer_prints_its_password_link(panel, web):
    panel("init")
    panel("user", "create", "seller@example.org", "--role", "reseller", "--password", GOOD_PASSWORD)

    result = panel(
        "user",
        "create",
        "shop@example.org",
        "--role",
        "customer",
        "--reseller",
        "seller@example.org",
    )

    assert result.exit_code == 0, result.output
    assert "created customer shop@example.org" in result.output
    link = re.search(r"password link \(shown once\): (\S+)", result.output).group(1)
    answer = web().test_client().post(urlsplit(link).path, data={"password": GOOD_PASSWORD})
    assert answer.status_code == 302
    with web().app_context():
        customer = db.session.scalar(select(User).where(User.email == "shop@example.org"))
        seller = db.session.scalar(select(User).where(User.email == "seller@example.org"))
        assert customer.reseller_id == seller.id and customer.password_hash is not None


def test_user_create_a_customer_needs_a_reseller(panel, web):
    panel("init")

    result = panel("user", "create", "shop@example.org", "--role", "customer")

    assert result.exit_code != 0
    assert "Name the reseller the customer belongs to." in result.output
    with web().app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_user_set_disables_and_swaps_roles(panel, web):
    panel("init")
    panel("user", "create", "seller@example.org", "--role", "reseller", "--password", GOOD_PASSWORD)
    panel(
        "user",
        "create",
        "shop@example.org",
        "--role",
        "customer",
        "--reseller",
        "seller@example.org",
    )

    disabled = panel("user", "set", "shop@example.org", "--disable")
    refused = panel("user", "set", "seller@example.org", "--role", "member")
    listed = panel("user", "list", "--role", "customer")

    assert disabled.exit_code == 0 and "disabled" in disabled.output
    assert refused.exit_code != 0 and "still has customers" in refused.output
    assert listed.output.split("\t")[1:4] == ["customer", "disabled", "shop@example.org"]
    with web().app_context():
        seller = db.session.scalar(select(User).where(User.email == "seller@example.org"))
        assert seller.role == "reseller"


def test_webspaces_reapply_names_the_host_and_reports_the_jobs_it_queued(panel, web):
    panel("init")
    unknown = panel("webspaces", "reapply", "--host", "web9")
    assert unknown.exit_code == 1
    assert "no host named 'web9'" in unknown.output
    with web().app_context():
        db.session.add(
            Host(
                name="web1",
                address="198.18.0.2",
                host_key=FAKE_KEY,
                fingerprint="SHA256:" + "A" * 43,
            )
        )
        db.session.commit()

    result = panel("webspaces", "reapply", "--host", "web1")

    assert result.exit_code == 0, result.output
    assert result.output == "0 jobs queued on web1\n"
    with web().app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "webspaces.reapply")
        ).one()
        assert (entry.source, entry.object_type, entry.after) == ("cli", "Host", {"jobs": []})
