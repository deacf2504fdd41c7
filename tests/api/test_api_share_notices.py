"""Subscribing shares, notices on shares and of membership, and payouts over the API."""

import pytest

from panel.coop.models import ShareNotice
from panel.coop.notices import effective_on
from panel.coop.operations import record_share_transaction
from panel.coop.settlement import settle_notice
from panel.core.audit import acting
from panel.extensions import db


@pytest.fixture
def member_api(api_as):
    """A member's API client and member holding 5 shares."""
    api, user = api_as("member")
    with acting("cli"):
        record_share_transaction(user.member, "subscription", 5, "2025-01-01")
    return api, user.member


def test_a_member_subscribes_gives_notice_and_withdraws_it(member_api, today):
    api, member = member_api

    subscribed = api.post(f"/api/v1/members/{member.id}/shares/subscriptions", json={"count": 2})
    notice = api.post(f"/api/v1/members/{member.id}/shares/notices", json={"count": 3})
    listed = api.get(f"/api/v1/members/{member.id}/shares/notices")

    assert (subscribed.status_code, subscribed.json["kind"]) == (201, "subscription")
    assert subscribed.json["count"] == 2
    assert notice.status_code == 201
    assert notice.json["count"] == 3
    assert notice.json["given_on"] == today.isoformat()
    assert notice.json["effective_on"] == effective_on(today).isoformat()
    assert (notice.json["state"], notice.json["leaving"], notice.json["payout_id"]) == (
        "pending",
        False,
        None,
    )
    assert [each["id"] for each in listed.json] == [notice.json["id"]]

    withdrawn = api.post(f"/api/v1/share-notices/{notice.json['id']}/withdraw")
    assert (withdrawn.status_code, withdrawn.json["state"]) == (200, "withdrawn")
    again = api.post(f"/api/v1/share-notices/{notice.json['id']}/withdraw")
    assert again.status_code == 409


def test_a_notice_below_the_minimum_is_refused_with_the_numbers(member_api, table_counts):
    api, member = member_api
    before = table_counts()

    answer = api.post(f"/api/v1/members/{member.id}/shares/notices", json={"count": 5})

    assert answer.status_code == 409
    assert answer.json["error"]["message"] == (
        "Notice is possible on at most 4 of the 5 shares held: 0 are under notice "
        "already and 1 must stay as the minimum holding."
    )
    assert answer.json["error"]["fields"]["count"]
    assert table_counts() == before


@pytest.mark.parametrize("count", [-1, 0, 10_001, 2.5, "3", True, None])
@pytest.mark.parametrize("path", ["shares/subscriptions", "shares/notices"])
def test_a_bad_count_is_refused_and_changes_nothing(member_api, table_counts, path, count):
    api, member = member_api
    before = table_counts()

    answer = api.post(f"/api/v1/members/{member.id}/{path}", json={"count": count})

    assert answer.status_code == 422
    assert "count" in answer.json["error"]["fields"]
    assert table_counts() == before


def test_another_members_shares_and_notices_are_not_found(member_api, api_as, table_counts):
    api, member = member_api
    other, _ = api_as("member")
    notice = api.post(f"/api/v1/members/{member.id}/shares/notices", json={"count": 1})
    before = table_counts()

    answers = [
        other.post(f"/api/v1/members/{member.id}/shares/subscriptions", json={"count": 1}),
        other.post(f"/api/v1/members/{member.id}/shares/notices", json={"count": 1}),
        other.get(f"/api/v1/members/{member.id}/shares/notices"),
        other.post(f"/api/v1/members/{member.id}/notice"),
        other.post(f"/api/v1/share-notices/{notice.json['id']}/withdraw"),
        other.post("/api/v1/members/999999/notice"),
        other.post("/api/v1/share-notices/999999/withdraw"),
    ]

    assert [answer.status_code for answer in answers] == [404] * 7
    assert table_counts() == before


def test_leaving_over_the_api_then_the_office_pays_out(member_api, api_as, today):
    api, member = member_api
    office, _ = api_as("admin")

    notice = api.post(f"/api/v1/members/{member.id}/notice")
    assert notice.status_code == 201
    assert (notice.json["leaving"], notice.json["count"]) == (True, 5)
    assert api.get(f"/api/v1/members/{member.id}").json["status"] == "cancelled"
    refused = api.post(f"/api/v1/members/{member.id}/shares/subscriptions", json={"count": 1})
    assert refused.status_code == 409

    with acting("worker"):
        settle_notice(db.session.get(ShareNotice, notice.json["id"]))
    listed = office.get("/api/v1/share-payouts", query_string={"state": "open"})
    assert [(each["count"], each["amount"]) for each in listed.json] == [(5, "320.00")]
    payout_id = listed.json[0]["id"]
    assert api.get(f"/api/v1/members/{member.id}").json["status"] == "ended"
    assert api.get(f"/api/v1/members/{member.id}/shares/notices").json[0]["payout_id"] == payout_id

    assert api.get("/api/v1/share-payouts").status_code == 403
    assert api.post(f"/api/v1/share-payouts/{payout_id}/paid").status_code == 403
    future = office.post(f"/api/v1/share-payouts/{payout_id}/paid", json={"paid_on": "2999-01-01"})
    assert future.status_code == 422
    paid = office.post(f"/api/v1/share-payouts/{payout_id}/paid")
    assert (paid.status_code, paid.json["state"], paid.json["paid_on"]) == (
        200,
        "paid",
        today.isoformat(),
    )
    assert office.get("/api/v1/share-payouts", query_string={"state": "open"}).json == []
