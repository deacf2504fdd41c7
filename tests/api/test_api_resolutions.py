"""Resolutions over the API: the contract of drafting, voting and the result; proxies; bad
input refused with a clear error and nothing changed."""

from datetime import UTC, datetime, timedelta

import pytest
from resolutions_support import CUTOFF, add_amendment, end_vote, make_resolution, resolution_data
from sqlalchemy import select

from panel.accounts.operations import create_user
from panel.core.audit import AuditEntry, acting
from panel.core.roles import Role
from panel.extensions import db
from panel.governance import operations
from panel.governance.models import Participation, Phase, Resolution

BASE = "/api/v1/resolutions"


@pytest.fixture
def voter_api(api_as, make_member):
    """voter_api(on=CUTOFF): an API client of a member on the register at the cutoff."""

    def make(on=CUTOFF, **fields):
        member = make_member(on=on, **fields)
        client, _ = api_as(member.users[0])
        return client, member

    return make


@pytest.fixture
def proxies_per_member(app):
    original = app.config["GOVERNANCE_PROXIES_PER_MEMBER"]

    def set_limit(limit: int) -> None:
        app.config["GOVERNANCE_PROXIES_PER_MEMBER"] = limit

    yield set_limit
    app.config["GOVERNANCE_PROXIES_PER_MEMBER"] = original


def test_the_board_drafts_and_announces_and_members_then_read(api_as, voter_api):
    admin, _ = api_as("admin")
    member, _ = voter_api()
    start = datetime(2030, 5, 1, 18, 0, tzinfo=UTC)
    body = {
        "title": "Statute change",
        "text": "§ 3 reads *anew*.",
        "majority": "three_quarters",
        "quorum_percent": 25,
        "secret": True,
        "cutoff": "2030-04-01",
        "discussion_from": "2030-05-01T20:00:00+02:00",
        "voting_from": "2030-05-08T20:00:00+02:00",
        "voting_until": "2030-05-15T20:00:00+02:00",
        "draft": True,
    }

    drafted = admin.post(BASE, json=body)

    assert drafted.status_code == 201, drafted.json
    assert {"id", "phase"} <= set(drafted.json) and drafted.json["phase"] == "draft"
    assert drafted.json["discussion_from"] == start.isoformat()
    assert drafted.json["min_supporters"] == 3
    assert [(item["kind"], item["title"]) for item in drafted.json["items"]] == [
        ("motion", "Statute change")
    ]
    url = f"{BASE}/{drafted.json['id']}"
    assert member.get(url).status_code == 404
    assert member.get(BASE).json == []
    assert [row["id"] for row in admin.get(BASE).json] == [drafted.json["id"]]

    assert admin.patch(url, json={"quorum_percent": 30}).json["quorum_percent"] == 30
    announced = admin.post(f"{url}/announce")

    assert (announced.status_code, announced.json["phase"]) == (200, "announced")
    assert member.get(url).json["text"] == "§ 3 reads *anew*."
    assert [row["id"] for row in member.get(BASE).json] == [drafted.json["id"]]
    assert admin.patch(url, json={"title": "Later"}).status_code == 409
    assert admin.delete(url).status_code == 409
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "Resolution")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["resolution.draft", "resolution.update", "resolution.announce"]


def test_a_resolution_follows_its_times_without_waiting_for_the_task(api_as, voter_api):
    """As the contract has it: posted, it is announced and in the phase its times give; a
    member votes at once; once its vote has ended the result is there, whether or not the
    periodic task has run."""
    admin, _ = api_as("admin")
    member, _ = voter_api()
    now = datetime.now(UTC).replace(microsecond=0)
    body = resolution_data(
        discussion_from=(now - timedelta(days=2)).isoformat(),
        voting_from=(now - timedelta(days=1)).isoformat(),
        voting_until=(now + timedelta(days=1)).isoformat(),
    )

    posted = admin.post(BASE, json=body)

    assert (posted.status_code, posted.json["phase"]) == (201, "voting"), posted.json
    url = f"{BASE}/{posted.json['id']}"
    ballot = member.post(f"{url}/ballots", json={"choice": "yes"})
    assert ballot.status_code == 201, ballot.json
    assert member.get(f"{url}/result").status_code == 409

    resolution = db.session.get(Resolution, posted.json["id"])
    resolution.voting_until = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    result = member.get(f"{url}/result")

    assert result.status_code == 200, result.json
    assert (result.json["yes"], result.json["no"], result.json["passed"]) == (1, 0, True)
    assert [(row["receipt"], row["choice"]) for row in result.json["receipts"]] == [
        (ballot.json["receipt"], "yes")
    ]
    assert member.get(url).json["phase"] == "closed"
    assert member.post(f"{url}/ballots", json={"choice": "no"}).status_code == 409


def test_a_draft_is_deleted(api_as):
    admin, _ = api_as("admin")
    drafted = admin.post(BASE, json=resolution_data(draft=True)).json

    assert admin.delete(f"{BASE}/{drafted['id']}").status_code == 204
    assert admin.get(f"{BASE}/{drafted['id']}").status_code == 404
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == (
        "resolution.delete"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"voting_from": "2030-05-08T20:00:00"}, "voting_from"),
        ({"voting_until": "next week"}, "voting_until"),
        ({"voting_from": "2020-01-01T00:00:00+00:00"}, "voting_from"),
        ({"voting_until": "0001-01-01T00:00:00+01:00"}, "voting_until"),
        ({"quorum_percent": 101}, "quorum_percent"),
        ({"quorum_percent": "50"}, "quorum_percent"),
        ({"majority": "unanimous"}, "majority"),
        ({"secret": "yes"}, "secret"),
        ({"min_supporters": -1}, "min_supporters"),
        ({"title": ""}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"text": "x" * 50_001}, "text"),
        ({"cutoff": "15.01.2026"}, "cutoff"),
        ({"phase": "voting"}, "phase"),
    ],
)
def test_a_bad_draft_is_refused_and_changes_nothing(api_as, table_counts, change, field):
    admin, _ = api_as("admin")
    before = table_counts()

    response = admin.post(BASE, json={**resolution_data(), **change})

    assert response.status_code == 422, response.json
    assert list(response.json["error"]["fields"]) == [field]
    assert table_counts() == before


def test_a_member_votes_changes_its_vote_and_checks_the_published_receipt(voter_api):
    resolution = make_resolution()
    client, _ = voter_api()
    url = f"{BASE}/{resolution.id}"

    first = client.post(f"{url}/ballots", json={"choice": "yes"})
    mine = client.get(f"{url}/ballot").json
    second = client.post(f"{url}/ballots", json={"choice": "no"})

    assert first.status_code == 201 and set(first.json) == {"receipt"}
    assert "no-store" in first.headers["Cache-Control"]
    assert (mine["voted"], mine["receipt"], mine["vote_open"]) == (
        True,
        first.json["receipt"],
        True,
    )
    assert mine["choices"] == {}
    assert second.status_code == 201 and second.json["receipt"] != first.json["receipt"]
    assert client.get(f"{url}/result").status_code == 409

    end_vote(resolution)
    result = client.get(f"{url}/result")

    assert result.status_code == 200
    assert {"yes", "no", "abstain", "turnout", "quorum_met", "passed", "receipts"} <= set(
        result.json
    )
    assert (result.json["yes"], result.json["no"], result.json["voters"]) == (0, 1, 1)
    assert result.json["passed"] is False and "votes" not in result.json
    assert result.json["receipts"] == [
        {"receipt": second.json["receipt"], "choice": "no", "amendments": {}}
    ]


def test_amendments_and_an_open_vote_in_the_result(voter_api):
    resolution = make_resolution(secret=False)
    amendment = add_amendment(resolution, title="Shorter term")
    client, member = voter_api(name="Ada Open")
    url = f"{BASE}/{resolution.id}"

    voted = client.post(
        f"{url}/ballots", json={"choice": "yes", "amendments": {str(amendment.id): "abstain"}}
    )
    assert client.get(f"{url}/ballot").json["choices"] == {
        str(operations.motion(resolution).id): "yes",
        str(amendment.id): "abstain",
    }
    end_vote(resolution)
    result = client.get(f"{url}/result").json

    assert voted.status_code == 201
    assert result["amendments"] == [
        {
            "id": amendment.id,
            "title": "Shorter term",
            "yes": 0,
            "no": 0,
            "abstain": 1,
            "majority_met": False,
            "passed": False,
        }
    ]
    assert result["votes"] == [
        {
            "member": member.number,
            "name": "Ada Open",
            "choice": "yes",
            "amendments": {str(amendment.id): "abstain"},
        }
    ]


def test_a_legal_person_votes_once_through_either_login(voter_api, api_as):
    resolution = make_resolution()
    client, company = voter_api(kind="legal")
    with acting("cli"):
        second = create_user("board@company.example", Role.MEMBER, member_id=company.id)
    other_login, _ = api_as(second)

    assert client.post(f"{BASE}/{resolution.id}/ballots", json={"choice": "yes"}).status_code == 201
    changed = other_login.post(f"{BASE}/{resolution.id}/ballots", json={"choice": "no"})
    assert changed.status_code == 201
    assert (
        other_login.get(f"{BASE}/{resolution.id}/ballot").json["receipt"] == changed.json["receipt"]
    )
    assert len(db.session.scalars(select(Participation)).all()) == 1


def _refused(client, url, body, table_counts, status, field=None, message=None):
    before = table_counts()
    response = client.post(url, json=body)
    assert response.status_code == status, response.json
    if field is not None:
        assert list(response.json["error"]["fields"]) == [field]
    if message is not None:
        assert message in response.json["error"]["message"]
    assert table_counts() == before
    return response


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"choice": "maybe"}, "choice"),
        ({}, "choice"),
        ({"choice": "yes", "amendments": {"999999": "yes"}}, "amendments"),
        ({"choice": "yes", "amendments": {"proposed": "yes"}}, "amendments"),
        ({"choice": "yes", "amendments": {"motion": "no"}}, "amendments"),
        ({"choice": "yes", "amendments": {"amendment": "perhaps"}}, "amendments"),
        ({"choice": "yes", "on_behalf_of": "M-00001"}, "on_behalf_of"),
        ({"choice": "yes", "on_behalf_of": 2_000_000_000}, "on_behalf_of"),
        ({"choice": "yes", "member_id": 1}, "member_id"),
    ],
)
def test_a_bad_ballot_is_refused_and_changes_nothing(voter_api, table_counts, body, field):
    resolution = make_resolution()
    ids = {
        "motion": operations.motion(resolution).id,
        "amendment": add_amendment(resolution).id,
        "proposed": add_amendment(resolution, state="proposed").id,
    }
    if "amendments" in body:
        body = {
            **body,
            "amendments": {str(ids.get(k, k)): v for k, v in body["amendments"].items()},
        }
    client, _ = voter_api()

    _refused(client, f"{BASE}/{resolution.id}/ballots", body, table_counts, 422, field)


@pytest.mark.parametrize("phase", [Phase.ANNOUNCED, Phase.DISCUSSION, Phase.CLOSED])
def test_no_ballot_outside_the_vote(voter_api, table_counts, phase):
    resolution = make_resolution(phase=phase)
    client, _ = voter_api()
    url = f"{BASE}/{resolution.id}/ballots"

    _refused(client, url, {"choice": "yes"}, table_counts, 409, message="The vote is not open")


def test_a_member_admitted_after_the_cutoff_is_refused_in_its_language(voter_api, table_counts):
    resolution = make_resolution()
    client, _ = voter_api(on=CUTOFF + timedelta(days=1))
    url = f"{BASE}/{resolution.id}/ballots"

    refused = _refused(client, url, {"choice": "yes"}, table_counts, 403)
    assert refused.json["error"]["message"] == f"Only members on the register on {CUTOFF} vote."
    german = client.post(url, json={"choice": "yes"}, headers={"Accept-Language": "de"})
    assert german.json["error"]["message"] == (
        f"Nur Mitglieder, die am {CUTOFF} in der Mitgliederliste stehen, stimmen ab."
    )


def test_a_proxy_votes_for_its_principal(voter_api, table_counts):
    resolution = make_resolution()
    principal_client, principal = voter_api()
    proxy_client, proxy = voter_api()
    url = f"{BASE}/{resolution.id}"

    given = principal_client.post(f"{url}/proxy", json={"proxy_member": proxy.number.lower()})
    voted = proxy_client.post(
        f"{url}/ballots", json={"choice": "abstain", "on_behalf_of": principal.id}
    )

    assert given.status_code == 201
    assert given.json == {"principal": principal.number, "proxy": proxy.number}
    assert voted.status_code == 201
    assert proxy_client.get(f"{url}/ballot").json["principals"] == [
        {"id": principal.id, "number": principal.number, "name": principal.name, "voted": True}
    ]
    mine = principal_client.get(f"{url}/ballot").json
    assert (mine["voted"], mine["cast_by"], mine["proxy"]) == (True, proxy.number, proxy.number)
    assert mine["receipt"] == voted.json["receipt"]
    assert proxy_client.get(f"{url}/ballot").json["voted"] is False

    assert principal_client.delete(f"{url}/proxy").status_code == 204
    assert principal_client.delete(f"{url}/proxy").status_code == 404
    _refused(
        proxy_client,
        f"{url}/ballots",
        {"choice": "yes", "on_behalf_of": principal.id},
        table_counts,
        403,
        "on_behalf_of",
    )


def test_bad_proxies_are_refused_and_change_nothing(voter_api, table_counts, proxies_per_member):
    resolution = make_resolution()
    url = f"{BASE}/{resolution.id}/proxy"
    first_client, first = voter_api()
    second_client, second = voter_api()
    third_client, third = voter_api()
    _, late = voter_api(on=CUTOFF + timedelta(days=1))
    assert first_client.post(url, json={"proxy_member": second.number}).status_code == 201

    _refused(first_client, url, {"proxy_member": first.number}, table_counts, 422, "proxy_member")
    _refused(first_client, url, {"proxy_member": "M-99999"}, table_counts, 422, "proxy_member")
    _refused(first_client, url, {"proxy_member": late.number}, table_counts, 422, "proxy_member")
    _refused(second_client, url, {"proxy_member": third.number}, table_counts, 409, "proxy_member")
    _refused(third_client, url, {"proxy_member": first.number}, table_counts, 422, "proxy_member")
    _refused(third_client, url, {"proxy_member": second.number}, table_counts, 409, "proxy_member")
    proxies_per_member(0)
    _refused(
        third_client, url, {"proxy_member": first.number}, table_counts, 403, message="no proxies"
    )


def test_customers_and_logins_without_a_member_get_403(api_as, make_user, table_counts):
    resolution = make_resolution()
    reseller = make_user("reseller")
    customer, _ = api_as("customer", reseller=reseller)
    with acting("cli"):
        lone = create_user("lone@example.org", Role.MEMBER)
    memberless, _ = api_as(lone)
    admin, _ = api_as("admin")
    url = f"{BASE}/{resolution.id}"

    for client in (customer, memberless):
        assert client.get(BASE).status_code == 403
        assert client.get(url).status_code == 403
        assert client.get(f"{url}/result").status_code == 403
        _refused(client, f"{url}/ballots", {"choice": "yes"}, table_counts, 403)
    _refused(admin, f"{url}/ballots", {"choice": "yes"}, table_counts, 403)
    assert db.session.get(Resolution, resolution.id).phase == Phase.VOTING
