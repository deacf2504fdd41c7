"""The audit log: what record() stores, where entries come from, and who may read them."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from panel.coop.models import MemberStatus
from panel.core.audit import AuditEntry, acting, record
from panel.core.models import utcnow
from panel.extensions import db


def _latest(action: str) -> AuditEntry:
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
    ).first()


def test_record_stores_who_what_when_and_before_after(make_member, make_user):
    admin = make_user("admin")
    member = make_member()
    started = utcnow()
    with acting("cli", admin):
        entry = record(
            "test.change",
            member,
            before={"status": MemberStatus.APPLICANT, "on": date(2026, 1, 2)},
            after={"status": MemberStatus.ACTIVE, "capital": Decimal("64.00"), "list": (1, 2)},
            member_id=member.id,
        )
    db.session.commit()
    entry_id = entry.id
    db.session.expire_all()
    stored = db.session.get(AuditEntry, entry_id)
    assert stored.actor_id == admin.id
    assert stored.actor_label == admin.email
    assert stored.source == "cli"
    assert stored.address is None
    assert stored.action == "test.change"
    assert (stored.object_type, stored.object_id) == ("Member", str(member.id))
    assert stored.member_id == member.id
    assert stored.before == {"status": "applicant", "on": "2026-01-02"}
    assert stored.after == {"status": "active", "capital": "64.00", "list": [1, 2]}
    assert started - timedelta(seconds=1) <= stored.at <= utcnow()
    assert stored.at.tzinfo is not None


def test_acting_sets_and_restores_the_source(make_member):
    member = make_member()
    with acting("worker"):
        assert record("test.worker", member).source == "worker"
        with acting("cli"):
            assert record("test.nested", member).source == "cli"
        assert record("test.after_nested", member).source == "worker"
    # Outside any request and any acting() block the change came from a command.
    entry = record("test.bare", member)
    assert entry.source == "cli"
    assert entry.actor_id is None
    db.session.rollback()


def test_web_requests_record_web(login_as):
    client, user = login_as("member")
    response = client.post("/account/profile", data={"display_name": "Web Name", "locale": "en"})
    assert response.status_code == 302
    entry = _latest("user.update")
    assert entry.source == "web"
    assert entry.actor_id == user.id
    assert entry.address == "127.0.0.1"
    assert entry.member_id == user.member_id
    assert entry.after["display_name"] == "Web Name"


def test_api_requests_record_api(api_as):
    client, user = api_as("member")
    response = client.patch("/api/v1/account", json={"display_name": "Api Name"})
    assert response.status_code == 200
    entry = _latest("user.update")
    assert entry.source == "api"
    assert entry.actor_id == user.id
    assert entry.after["display_name"] == "Api Name"


def _scene(make_member, make_user):
    """Two members, each with one entry about them, plus one with neither of them."""
    admin = make_user("admin")
    alice, bob = make_member(), make_member()
    with acting("cli", admin):
        record("test.about_alice", alice, member_id=alice.id)
        record("test.about_bob", bob, member_id=bob.id)
    with acting("worker"):
        record("test.about_nobody", admin)
    db.session.commit()
    return admin, alice.users[0], bob.users[0]


def test_admin_page_shows_everything_and_filters(make_member, make_user, login_as):
    admin, alice, _ = _scene(make_member, make_user)
    client, _ = login_as(admin)
    page = client.get("/audit").get_data(as_text=True)
    assert all(f"test.about_{name}" in page for name in ("alice", "bob", "nobody"))

    def shown(**query) -> set[str]:
        response = client.get("/audit", query_string=query)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        return {name for name in ("alice", "bob", "nobody") if f"test.about_{name}" in text}

    assert shown(action="test.about_bob") == {"bob"}
    assert shown(source="worker") == {"nobody"}
    assert shown(object_type="User", action="test.about_nobody") == {"nobody"}
    assert shown(object_type="Member") >= {"alice", "bob"}
    assert "nobody" not in shown(object_type="Member")
    assert shown(member_id=str(alice.member_id)) == {"alice"}
    # A malformed member id is ignored rather than failing the page.
    assert shown(member_id="abc", action="test.about_bob") == {"bob"}


def test_member_page_shows_only_own_entries(make_member, make_user, login_as):
    _, alice, bob = _scene(make_member, make_user)
    client, _ = login_as(alice)
    page = client.get("/audit").get_data(as_text=True)
    # A member reads sentences, not action names (tests/core/test_activity.py).
    assert f"The office made a change to {alice.member.name}." in page
    assert bob.member.name not in page
    assert "The panel made a change" not in page
    # Asking for someone else's member record yields nothing of theirs.
    other = client.get("/audit", query_string={"member_id": str(bob.member_id)})
    assert other.status_code == 200
    assert bob.member.name not in other.get_data(as_text=True)


def test_member_sees_entries_they_made(make_member, login_as):
    client, alice = login_as("member")
    bob = make_member()
    with acting("cli", alice):
        record("test.alice_acted", bob, member_id=bob.id)
    db.session.commit()
    assert f"You made a change to {bob.name}." in client.get("/audit").get_data(as_text=True)


def test_audit_needs_login(client):
    response = client.get("/audit")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def _api_actions(client, **query) -> set[str]:
    response = client.get("/api/v1/audit", query_string={"page_size": 100, **query})
    assert response.status_code == 200, response.json
    return {item["action"] for item in response.json if item["action"].startswith("test.")}


def test_api_admin_sees_everything_and_filters(make_member, make_user, api_as):
    admin, alice, _ = _scene(make_member, make_user)
    client, _ = api_as(admin)
    everything = {"test.about_alice", "test.about_bob", "test.about_nobody"}
    assert _api_actions(client) == everything
    assert _api_actions(client, source="worker") == {"test.about_nobody"}
    assert _api_actions(client, action="test.about_bob") == {"test.about_bob"}
    assert _api_actions(client, object_type="User") == {"test.about_nobody"}
    assert _api_actions(client, member_id=alice.member_id) == {"test.about_alice"}
    entry = client.get("/api/v1/audit", query_string={"action": "test.about_alice"}).json[0]
    assert entry["source"] == "cli"
    assert entry["actor_id"] == admin.id
    assert entry["object_type"] == "Member"
    assert entry["member_id"] == alice.member_id


def test_api_member_sees_only_own_entries(make_member, make_user, api_as):
    _, alice, bob = _scene(make_member, make_user)
    client, _ = api_as(alice)
    assert _api_actions(client) == {"test.about_alice"}
    assert _api_actions(client, member_id=bob.member_id) == set()
    for item in client.get("/api/v1/audit", query_string={"page_size": 100}).json:
        assert item["member_id"] == alice.member_id or item["actor_id"] == alice.id


def test_api_rejects_bad_filters(api_as):
    client, _ = api_as("admin")
    response = client.get("/api/v1/audit", query_string={"source": "telepathy"})
    assert response.status_code == 422
    assert "source" in response.json["error"]["fields"]


def test_page_ignores_unusable_filters(make_member, make_user, login_as):
    admin, _, _ = _scene(make_member, make_user)
    client, _ = login_as(admin)
    for query in (
        {"page": "²"},
        {"page": "-1"},
        {"page": "9" * 40},
        {"member_id": "²"},
        {"member_id": "99999999999999999999"},
        {"action": "x" * 65},
        {"action": "test.about\x00_bob"},
    ):
        response = client.get("/audit", query_string=query)
        assert response.status_code == 200, query
    assert "test.about_bob" in client.get("/audit", query_string={"page": "²"}).text


def test_api_rejects_out_of_range_ids(api_as):
    client, _ = api_as("admin")
    response = client.get("/api/v1/audit", query_string={"member_id": "9" * 20})
    assert response.status_code == 422
    assert "member_id" in response.json["error"]["fields"]
