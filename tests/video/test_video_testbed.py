"""Video's whole journey: BBBLB runs for real on a testbed host (installed by the panel's own
`bbblb` job); the BigBlueButton servers behind it are tests/video/bbb_double.py doubles, because
BigBlueButton cannot run here. The two doubles listen on this machine's address on the lane's
bridge, with certificates of the tests' CA, which BBBLB trusts through bbblb_trusted_ca.

The panel is driven through its API and pages (a live panel whose worker really runs the jobs
against the host); members' and guests' join URLs are followed through BBBLB to the doubles.
One module-scoped live panel; the tests run in file order, each building on what the one before
left. BBBLB polls its servers every 5 s here, and the ledger's periods are 10 s long."""

import contextlib
import re
import secrets
import shlex
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from bbb_double import BbbDouble
from bbblb_support import BBBLB_COMMAND, DOMAIN, exported_state, make_pki, sql_command
from bbblb_wheels import wheel_folder
from e2e_support import api_client_of, live_panel, quick_prometheus
from polling import poll
from sqlalchemy import func, select

from panel.core.audit import acting
from panel.extensions import db
from panel.metering import ledger
from panel.metering.models import UsageRecord
from panel.video.bbb_api import BbbClient, BbbError, http_session
from panel.video.models import BbbServer, Room, RoomShare, VideoTenant
from panel.video.status import server_status
from panel_testbed import PREFIX
from panel_testbed.network import GATEWAY

pytestmark = pytest.mark.testbed

HOST = f"{PREFIX}1"
BRIDGE = str(GATEWAY)
POLL_INTERVAL = 5
INTERVAL = 10
JOB_TIMEOUT = 300
INSTALL_TIMEOUT = 900
HTTP_TIMEOUT = 15
# BBBLB's POLL_RECOVER: a new server takes meetings after this many good polls.
HEALTHY_WITHIN = 20 * POLL_INTERVAL
# BBBLB's TENANT_CACHE: its API takes up a tenant's change this many seconds later at most.
TENANT_CACHE = 10
VIEWER_CODE = "view2026"
MODERATOR_CODE = "lead2026"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("video-pki"))


@pytest.fixture(scope="module")
def live(tmp_path_factory, pki):
    settings = {
        "VIDEO_DOMAIN": DOMAIN,
        "BBBLB_WHEELS": str(wheel_folder()),
        "VIDEO_TLS_CERTIFICATE": str(pki.certificate_file),
        "VIDEO_TLS_KEY": str(pki.key_file),
        "BBB_TRUSTED_CA": str(pki.ca_file),
        "BBBLB_POLL_INTERVAL": POLL_INTERVAL,
        "VIDEO_CA_FILE": str(pki.ca_file),
        "METERING_INTERVAL": INTERVAL,
        "METERING_DELAY": 2,
        "METERING_GAP_SECONDS": 4,
    }
    folder = tmp_path_factory.mktemp("live")
    # The agent reads BBBLB's statistics every 2 s here (every 60 s by default).
    with (
        live_panel(folder, "sqlite", hosts=1, role="bbb-lb", settings=settings) as panel,
        quick_prometheus(panel, "agent_video_interval: 2\n"),
    ):
        install = panel.run_job("bbblb", [HOST])
        panel.wait_for_job(install, "successful", timeout=INSTALL_TIMEOUT)
        yield panel


@pytest.fixture(scope="module")
def doubles(live, pki):
    """Two BBB server doubles on the bridge address, each with its own port and secret."""
    files = pki.ca.server(BRIDGE)
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                BbbDouble(
                    secrets.token_hex(20),
                    host=BRIDGE,
                    cert_file=files.cert_file,
                    key_file=files.key_file,
                    version="2.7",
                )
            )
            for _ in range(2)
        ]


def domain_of(double: BbbDouble) -> str:
    return f"{BRIDGE}:{double.port}"


def done(live, answer, status: int = 202) -> dict:
    """The answer's job, once it succeeded."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    return live.wait_for_job(answer.json["job_id"], "successful", timeout=JOB_TIMEOUT)


def tenant_changed(live, answer) -> dict:
    """The answer's job, once it succeeded and BBBLB's API has taken up the tenant's change."""
    job = done(live, answer)
    taken_up = datetime.now(UTC) + timedelta(seconds=TENANT_CACHE + 1)
    poll(lambda: datetime.now(UTC) >= taken_up, 2 * TENANT_CACHE, "time stood still")
    return job


def sql(live, query: str) -> list[list[str]]:
    status, output = live.on_host(HOST, shlex.join(sql_command(query)))
    assert status == 0, output
    return [line.split("|") for line in output.splitlines() if line]


def exported(live) -> dict:
    status, output = live.on_host(HOST, f"{BBBLB_COMMAND} state export")
    assert status == 0, output
    return exported_state(output)


@pytest.fixture(scope="module")
def servers(live, doubles):
    """Both doubles added by the admin, and healthy in BBBLB's eyes."""
    admin = live.client()
    for double in doubles:
        added = admin.post(
            "/api/v1/video/servers", json={"domain": domain_of(double), "secret": double.secret}
        )
        done(live, added)
    domains = [domain_of(double) for double in doubles]
    poll(
        lambda: (
            {row[0] for row in sql(live, "SELECT domain FROM servers WHERE health = 0")}
            >= set(domains)
        ),
        HEALTHY_WITHIN,
        "BBBLB never found both doubles healthy",
        interval=1,
    )
    return domains


def make_member(live, name: str, prefix: str):
    email = f"{prefix}@example.org"
    made = live.client().post(
        "/api/v1/members", json={"name": name, "email": email, "prefix": prefix}
    )
    assert made.status_code == 201, made.json
    return api_client_of(live, email)


@pytest.fixture(scope="module")
def ana(live):
    return make_member(live, "Ana Video", "ana")


@pytest.fixture(scope="module")
def ana_tenant(live, ana, servers):
    """Ana's tenant, made by Ana; with its secret, shown this once."""
    made = ana.post("/api/v1/video/tenant")
    tenant_changed(live, made)
    shown = ana.get("/api/v1/video/tenant").json
    assert shown["state"] == "active", shown
    assert "secret" not in shown
    return {**shown, "secret": made.json["secret"]}


def room_of(member, name: str, **values) -> dict:
    made = member.post("/api/v1/rooms", json={"name": name, **values})
    assert made.status_code == 201, made.json
    return made.json


def meeting_id(live, room: dict) -> str:
    return live.read(lambda: db.session.get(Room, room["id"]).meeting_id)


def balancer(live, tenant: dict) -> BbbClient:
    """BBB's API as the tenant's own software sees it: BBBLB at the tenant's realm."""
    return BbbClient(
        f"https://{tenant['realm']}/bigbluebutton/api/",
        tenant["secret"],
        connect_to=live.hosts[HOST].address,
        ca_file=live.app.config["VIDEO_CA_FILE"],
    )


def follow(live, doubles, url: str) -> tuple[BbbDouble, str]:
    """A join URL followed as a browser does: through BBBLB to the BBB server it placed the
    meeting on, and on to its client. The double, and the client's page (or its refusal)."""
    assert urlsplit(url).hostname.endswith(f".{DOMAIN}"), url
    ca_file = live.app.config["VIDEO_CA_FILE"]
    with http_session(url, connect_to=live.hosts[HOST].address, ca_file=ca_file) as session:
        redirected = session.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert redirected.status_code in (302, 303, 307), redirected.text
    location = redirected.headers["Location"]
    target = urlsplit(location)
    assert target.hostname == BRIDGE, location
    (double,) = [double for double in doubles if double.port == target.port]
    with http_session(location, ca_file=ca_file) as session:
        page = session.get(location, timeout=HTTP_TIMEOUT)
    return double, page.text


def guest_client(live):
    return live.app.test_client()


def guest_asks(client, slug: str, name: str, code: str):
    """The room's public page filled in and sent, as a guest's browser does."""
    page = client.get(f"/r/{slug}")
    assert page.status_code == 200
    token = CSRF.search(page.get_data(as_text=True))
    assert token, page.get_data(as_text=True)
    return client.post(
        f"/r/{slug}", data={"name": name, "code": code, "csrf_token": token.group(1)}
    )


def guest_joins(live, doubles, slug: str, name: str, code: str) -> tuple[BbbDouble, str]:
    """A guest through the room's page and its waiting link into the meeting."""
    client = guest_client(live)
    asked = guest_asks(client, slug, name, code)
    assert asked.status_code == 302, asked.get_data(as_text=True)
    waiting = urlsplit(asked.headers["Location"]).path
    assert waiting.startswith(f"/r/{slug}/wait/")
    entered = client.get(waiting)
    assert entered.status_code == 302, entered.get_data(as_text=True)
    return follow(live, doubles, entered.headers["Location"])


def attendees(doubles) -> int:
    return sum(len(m.attendees) for double in doubles for m in double.meetings.values())


def scoped(live, room: dict, tenant: dict) -> str:
    """The meeting's ID on the BBB server: BBBLB scopes it with the tenant's name."""
    return f"{meeting_id(live, room)}-bbblb-{tenant['name']}"


def end_meeting(live, room: dict, tenant: dict) -> None:
    with balancer(live, tenant) as api:
        api.call("end", {"meetingID": meeting_id(live, room)})


def recorded(live, doubles, room: dict, tenant: dict) -> str:
    """The room's meeting ended, its recording made on its double and uploaded to BBBLB as BBB's
    post_publish script does; the recording's ID once the panel lists it."""
    meeting = scoped(live, room, tenant)
    (double,) = [d for d in doubles if meeting in d.meetings]
    end_meeting(live, room, tenant)
    assert meeting not in double.meetings
    recording = double.add_recording(meeting)
    uploaded = double.upload_recording(
        f"https://{DOMAIN}",
        DOMAIN,
        domain_of(double),
        recording,
        ca_file=live.app.config["VIDEO_CA_FILE"],
        connect_to=live.hosts[HOST].address,
    )
    assert uploaded.status_code < 300, uploaded.text
    return poll(
        lambda: recording.record_id in record_ids(live, room) and recording.record_id,
        60,
        "the uploaded recording never showed in the panel",
        interval=1,
    )


def record_ids(live, room: dict) -> list[str]:
    listed = live.client().get(f"/api/v1/rooms/{room['id']}/recordings")
    assert listed.status_code == 200, listed.json
    return [item["record_id"] for item in listed.json]


def in_bbblb(live, tenant: dict, record_id: str) -> dict | None:
    """The recording as BBBLB lists it to the tenant, None when it lists none."""
    with balancer(live, tenant) as api:
        found = api.call("getRecordings", {"recordID": record_id, "state": "any"}).recordings()
    return found[0] if found else None


def counts(live) -> tuple[int, ...]:
    def read():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Room, RoomShare, VideoTenant, BbbServer)
        )

    return live.read(read)


@pytest.fixture(scope="module")
def journey_room(ana, ana_tenant):
    return room_of(ana, "Vorstand", viewer_code=VIEWER_CODE, moderator_code=MODERATOR_CODE)


def test_the_admins_servers_reach_bbblb(live, servers, doubles):
    state = exported(live)
    assert state["servers"] == {
        domain_of(double): {"secret": double.secret, "enabled": True} for double in doubles
    }
    listed = live.client().get("/api/v1/video/servers").json
    assert {server["domain"]: server["state"] for server in listed} == dict.fromkeys(
        servers, "active"
    )
    before = counts(live)
    again = live.client().post(
        "/api/v1/video/servers", json={"domain": servers[0], "secret": "x" * 40}
    )
    assert again.status_code == 422, again.json
    bad = live.client().post(
        "/api/v1/video/servers", json={"domain": "198.18.8.1:99999", "secret": "x" * 40}
    )
    assert bad.status_code == 422, bad.json
    assert counts(live) == before


def test_a_guest_waits_until_the_owner_starts(live, ana_tenant, journey_room, doubles):
    state = exported(live)
    assert state["tenants"]["ana"]["realm"] == f"ana.{DOMAIN}"
    client = guest_client(live)
    asked = guest_asks(client, journey_room["slug"], "Early Eve", VIEWER_CODE)
    assert asked.status_code == 302
    waiting = client.get(urlsplit(asked.headers["Location"]).path)
    assert waiting.status_code == 200
    assert '<meta http-equiv="refresh"' in waiting.get_data(as_text=True)
    assert not any(double.meetings for double in doubles)


def test_the_owner_and_guests_join_through_bbblb(live, ana, journey_room, doubles):
    started = ana.post(f"/api/v1/rooms/{journey_room['id']}/start")
    assert started.status_code == 200, started.json
    owner_on, page = follow(live, doubles, started.json["url"])
    assert "(MODERATOR)" in page, page
    viewer_on, page = guest_joins(live, doubles, journey_room["slug"], "Gast Gabi", VIEWER_CODE)
    assert "Gast Gabi (VIEWER)" in page, page
    moderator_on, page = guest_joins(
        live, doubles, journey_room["slug"], "Co Chair", MODERATOR_CODE
    )
    assert "Co Chair (MODERATOR)" in page, page
    assert owner_on is viewer_on is moderator_on
    present = attendees(doubles)
    assert present == 3

    wrong = guest_asks(guest_client(live), journey_room["slug"], "Mallory", "guess1234")
    assert wrong.status_code == 422
    assert "Wrong access code" in wrong.get_data(as_text=True)
    assert attendees(doubles) == present


def test_a_recording_reaches_the_panel_and_its_changes_reach_bbblb(
    live, ana, ana_tenant, journey_room, doubles
):
    record_id = recorded(live, doubles, journey_room, ana_tenant)
    path = f"/api/v1/rooms/{journey_room['id']}/recordings"
    assert in_bbblb(live, ana_tenant, record_id)["state"] == "published"

    def change(action: str) -> None:
        answer = ana.post(path, json={"record_id": record_id, "action": action})
        assert answer.status_code == 204, answer.json

    change("unpublish")
    assert in_bbblb(live, ana_tenant, record_id)["published"] == "false"
    change("publish")
    assert in_bbblb(live, ana_tenant, record_id)["published"] == "true"
    change("protect")
    assert in_bbblb(live, ana_tenant, record_id)["protected"] == "true"
    listed = ana.get(path).json
    assert [(item["record_id"], item["protected"]) for item in listed] == [(record_id, True)]
    change("unprotect")
    assert in_bbblb(live, ana_tenant, record_id)["protected"] == "false"
    unknown = ana.post(path, json={"record_id": "f" * 40, "action": "delete"})
    assert unknown.status_code == 404
    change("delete")
    assert in_bbblb(live, ana_tenant, record_id) is None
    assert ana.get(path).json == []


def participant_seconds(live, tenant: str) -> Decimal | None:
    found = ledger.Prometheus(live.prometheus.url).instant(
        f'panel_video_participant_seconds_total{{tenant="{tenant}"}}'
    )
    return Decimal(str(found[0][1])) if found else None


# Users BBBLB saw in Ana's meetings, summed over its polls (one meeting_stats row per meeting
# and poll).
ANA_POLLED_USERS = (
    "SELECT COALESCE(SUM(s.users), 0) FROM meeting_stats s JOIN tenants t "
    "ON t.id = s.tenant_fk WHERE t.name = 'ana'"
)


def polled_users(live) -> int:
    ((total,),) = sql(live, ANA_POLLED_USERS)
    return int(total)


def booked(live, tenant: str) -> Decimal:
    return live.read(
        lambda: db.session.scalar(
            select(func.coalesce(func.sum(UsageRecord.quantity), 0)).where(
                UsageRecord.resource_name == tenant, UsageRecord.metric == "video_participants"
            )
        )
    )


def test_participant_time_reaches_the_ledger(live, ana, ana_tenant, doubles):
    since = datetime.now(UTC)
    room = room_of(ana, "Stammtisch", viewer_code=VIEWER_CODE)
    started = ana.post(f"/api/v1/rooms/{room['id']}/start")
    follow(live, doubles, started.json["url"])
    guest_joins(live, doubles, room["slug"], "Zweiter Gast", VIEWER_CODE)
    first = poll(lambda: polled_users(live), 4 * POLL_INTERVAL, "no statistics", 1)
    poll(lambda: polled_users(live) > first, 4 * POLL_INTERVAL, "no more statistics", 1)
    seconds = poll(
        lambda: (participant_seconds(live, "ana") or 0) > 0 and participant_seconds(live, "ana"),
        60,
        "Prometheus never saw ana's participant time",
        interval=1,
    )
    assert seconds % POLL_INTERVAL == 0
    end_meeting(live, room, ana_tenant)
    over = datetime.now(UTC) + timedelta(seconds=INTERVAL + 3)
    poll(lambda: datetime.now(UTC) >= over, 3 * INTERVAL, "time stood still")
    with live.app.app_context(), acting("cli"):
        end = ledger.align(datetime.now(UTC) - timedelta(seconds=2), INTERVAL)
        run = ledger.collect(*ledger.check_range(since - timedelta(seconds=INTERVAL), end))
        status, error = run.status, run.error
    assert status == "complete", error
    assert booked(live, "ana") > 0


@pytest.fixture(scope="module")
def ben(live):
    return make_member(live, "Ben Nachbar", "ben")


@pytest.fixture(scope="module")
def ben_tenant(live, ben, servers):
    made = ben.post("/api/v1/video/tenant")
    tenant_changed(live, made)
    return {**ben.get("/api/v1/video/tenant").json, "secret": made.json["secret"]}


def test_a_tenant_sees_nothing_of_another(live, ana, ana_tenant, ben_tenant, doubles):
    room = room_of(ana, "Geheim")
    kept = room_of(ana, "Archiv")
    for made in (room, kept):
        follow(live, doubles, ana.post(f"/api/v1/rooms/{made['id']}/start").json["url"])
    record_id = recorded(live, doubles, kept, ana_tenant)
    running = meeting_id(live, room)
    with balancer(live, ben_tenant) as api:
        with pytest.raises(BbbError, match="notFound"):
            api.call("getMeetingInfo", {"meetingID": running})
        assert api.call("isMeetingRunning", {"meetingID": running}).data["running"] == "false"
        with pytest.raises(BbbError, match="notFound"):
            api.call("end", {"meetingID": running})
        assert api.call("getRecordings", {"meetingID": meeting_id(live, kept)}).recordings() == []
        assert api.call("getRecordings", {"recordID": record_id}).recordings() == []
        with contextlib.suppress(BbbError):
            api.call("deleteRecordings", {"recordID": record_id})
    with balancer(live, ana_tenant) as api:
        info = api.call("getMeetingInfo", {"meetingID": running})
        assert info.data["running"] == "true"
    assert in_bbblb(live, ana_tenant, record_id) is not None
    assert scoped(live, room, ana_tenant) in {m for d in doubles for m in d.meetings}
    end_meeting(live, room, ana_tenant)


def test_the_tenants_limits_hold_on_the_servers(live, ana, ana_tenant, doubles):
    admin = live.client()
    limits = {"max_participants": 2, "max_duration_minutes": None, "recording_allowed": True}
    tenant_changed(live, admin.put(f"/api/v1/video/tenants/{ana_tenant['id']}/limits", json=limits))
    assert exported(live)["tenants"]["ana"]["overrides"]["create"] == {"maxParticipants": "<2"}
    room = room_of(ana, "Klein", viewer_code=VIEWER_CODE)
    follow(live, doubles, ana.post(f"/api/v1/rooms/{room['id']}/start").json["url"])
    meeting = scoped(live, room, ana_tenant)
    (double,) = [d for d in doubles if meeting in d.meetings]
    assert double.meetings[meeting].max_participants == 2
    guest_joins(live, doubles, room["slug"], "Zweite", VIEWER_CODE)
    _, refused = guest_joins(live, doubles, room["slug"], "Dritte", VIEWER_CODE)
    assert "maxParticipantsReached" in refused, refused
    assert len(double.meetings[meeting].attendees) == 2

    before = counts(live)
    too_big = ana.post("/api/v1/rooms", json={"name": "Gross", "max_participants": 3})
    assert too_big.status_code == 422, too_big.json
    changed = ana.patch(f"/api/v1/rooms/{room['id']}", json={"max_participants": 5})
    assert changed.status_code == 422, changed.json
    assert counts(live) == before
    assert ana.get(f"/api/v1/rooms/{room['id']}").json["max_participants"] is None
    end_meeting(live, room, ana_tenant)


def server_id(live, domain: str) -> int:
    listed = live.client().get("/api/v1/video/servers").json
    return next(server["id"] for server in listed if server["domain"] == domain)


def action(live, domain: str, name: str) -> dict:
    answer = live.client().post(
        f"/api/v1/video/servers/{server_id(live, domain)}/actions", json={"action": name}
    )
    return done(live, answer)


def loads_settled(live) -> bool:
    """Both servers healthy and without load left from earlier meetings."""
    rows = sql(live, "SELECT health, load FROM servers")
    return len(rows) == 2 and all(health == "0" and float(load) == 0 for health, load in rows)


def test_bbblb_places_meetings_on_both_and_obeys_cordon_and_panic(
    live, ana, ana_tenant, doubles, servers
):
    admin = live.client()
    limits = {"max_participants": None, "max_duration_minutes": None, "recording_allowed": True}
    tenant_changed(live, admin.put(f"/api/v1/video/tenants/{ana_tenant['id']}/limits", json=limits))
    poll(lambda: loads_settled(live), 6 * POLL_INTERVAL, "loads never settled", interval=1)
    made = [room_of(ana, f"Gruppe {n}") for n in (1, 2, 3)]
    first, second = (
        follow(live, doubles, ana.post(f"/api/v1/rooms/{room['id']}/start").json["url"])[0]
        for room in made[:2]
    )
    assert first is not second

    action(live, domain_of(first), "cordon")
    assert exported(live)["servers"][domain_of(first)]["enabled"] is False
    third, _ = follow(live, doubles, ana.post(f"/api/v1/rooms/{made[2]['id']}/start").json["url"])
    assert third is second

    on_second = set(second.meetings)
    assert len(on_second) == 2
    action(live, domain_of(second), "panic")
    assert not second.meetings
    assert on_second <= {meeting.meeting_id for meeting in second.ended}
    assert len(first.meetings) == 1
    shown = {s["domain"]: s for s in admin.get("/api/v1/video/servers").json}
    assert (shown[domain_of(second)]["enabled"], shown[domain_of(second)]["state"]) == (
        False,
        "active",
    )
    assert exported(live)["servers"][domain_of(second)]["enabled"] is False

    # Enabled again after the panic, it takes meetings again: BBBLB was told, although the
    # state the panel sends is the one it sent before the panic.
    action(live, domain_of(second), "enable")
    assert exported(live)["servers"][domain_of(second)]["enabled"] is True


def test_the_admin_sees_each_servers_own_account(live, doubles, servers):
    with live.app.app_context():
        shown = {
            server.domain: server_status(server) for server in db.session.scalars(select(BbbServer))
        }
    for double in doubles:
        status = shown[domain_of(double)]
        assert status.reachable, status.problem
        assert status.version == "2.7"
        assert status.meetings == len(double.meetings)
        assert status.participants == sum(len(m.attendees) for m in double.meetings.values())
    assert sum(status.meetings for status in shown.values()) >= 1
    doubles[1].stop()
    with live.app.app_context():
        stopped = server_status(
            db.session.scalar(select(BbbServer).where(BbbServer.domain == domain_of(doubles[1])))
        )
    assert not stopped.reachable and stopped.problem


def test_an_ended_tenant_is_disabled_on_bbblb_until_set_up_again(
    live, ana, ana_tenant, ben, ben_tenant
):
    room_of(ana, "Bleibt")
    with_rooms = ana.delete("/api/v1/video/tenant")
    assert with_rooms.status_code == 409, with_rooms.json
    assert exported(live)["tenants"]["ana"]["enabled"] is True

    ended = ben.delete("/api/v1/video/tenant")
    tenant_changed(live, ended)
    assert ended.json["ended_at"]
    # Kept, disabled: BBBLB keeps the tenant's meetings' statistics.
    assert exported(live)["tenants"]["ben"]["enabled"] is False
    with balancer(live, ben_tenant) as api, pytest.raises(BbbError, match="checksumError"):
        api.call("create", {"meetingID": "after-the-end", "name": "Nach dem Ende"})

    reopened = ben.post("/api/v1/video/tenant")
    tenant_changed(live, reopened)
    again = {**ben.get("/api/v1/video/tenant").json, "secret": reopened.json["secret"]}
    assert again["ended_at"] is None and again["secret"] != ben_tenant["secret"]
    assert exported(live)["tenants"]["ben"]["enabled"] is True
    with balancer(live, again) as api:
        assert api.call("isMeetingRunning", {"meetingID": "again"}).data["running"] == "false"
    with balancer(live, ben_tenant) as api, pytest.raises(BbbError, match="checksumError"):
        api.call("isMeetingRunning", {"meetingID": "again"})
