"""Claims on domain names (issue 11): members' unverified claims coexist and block nobody, the
first proof wins, the others end lost with the reason; TXT values are stable per member and
name; the database keeps one live domain per name."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from webspace_jobs import succeed

from panel.core.audit import acting
from panel.core.models import utcnow
from panel.extensions import db
from panel.provisioning.models import Job
from panel.webspaces.models import Domain

LOST_REASON = "Another member proved control of example.org first."
OWN_CLAIM = "You have added this domain already; remove it there first."
GERMAN_REASON = "Ein anderes Mitglied hat die Kontrolle über example.org zuerst nachgewiesen."


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def member(api_as, make_webspace):
    """A member with a webspace: (API client, webspace)."""

    def make():
        client, user = api_as("member")
        return client, make_webspace(user.member)

    return make


def add(client, webspace, name="example.org", **body):
    response = client.post(f"/api/v1/webspaces/{webspace.id}/domains", json={"name": name, **body})
    db.session.expire_all()
    return response


def verify(client, domain_id):
    response = client.post(f"/api/v1/domains/{domain_id}/verify")
    db.session.expire_all()
    return response


def get(client, domain_id) -> dict:
    return client.get(f"/api/v1/domains/{domain_id}").json


def publish(dns_server, *claims) -> None:
    """Put the TXT records of these claims (API answers) into the DNS."""
    records: dict[str, list[str]] = {}
    for claim in claims:
        records.setdefault(claim["verification"]["name"], []).append(claim["verification"]["value"])
    dns_server.serve(records)


def make_live(domain_id: int) -> None:
    """A domain that went live by other means than the panel's own operations."""
    domain = db.session.get(Domain, domain_id)
    domain.state, domain.verified_at = "active", utcnow()
    db.session.commit()


def test_claims_coexist_and_the_first_proof_wins(member, dns_server):
    (first, first_space), (second, second_space) = member(), member()
    early = add(first, first_space).json
    late = add(second, second_space).json
    assert early["state"] == late["state"] == "unverified"
    assert early["verification"]["value"] != late["verification"]["value"]
    assert db.session.scalar(select(func.count()).where(Domain.name == "example.org")) == 2
    # Neither sees the other's claim.
    assert first.get(f"/api/v1/domains/{late['id']}").status_code == 404
    assert [
        item["id"] for item in first.get(f"/api/v1/webspaces/{first_space.id}/domains").json
    ] == [early["id"]]

    publish(dns_server, early, late)
    won = verify(second, late["id"])
    assert won.status_code == 202, won.json
    assert won.json["state"] == "pending" and won.json["job_id"]

    lost = get(first, early["id"])
    assert lost["state"] == "lost"
    assert lost["state_reason"] == LOST_REASON
    assert lost["verification"] is None
    jobs = count(Job)
    refused = verify(first, early["id"])
    assert refused.status_code == 409
    assert refused.json["error"]["message"] == LOST_REASON
    assert first.patch(f"/api/v1/domains/{early['id']}", json={"tls": False}).status_code == 409
    assert count(Job) == jobs and get(first, early["id"])["state"] == "lost"

    # The loser removes the claim; the name is in use now, so adding it again is refused.
    assert first.delete(f"/api/v1/domains/{early['id']}").status_code == 202
    assert db.session.get(Domain, early["id"]) is None and count(Job) == jobs
    again = add(first, first_space)
    assert again.status_code == 409
    assert again.json["error"]["message"] == "This domain is in use already."


def test_the_loss_is_told_without_naming_the_winner(member, dns_server):
    (loser, loser_space), (winner, winner_space) = member(), member()
    claim = add(loser, loser_space).json
    proof = add(winner, winner_space).json
    publish(dns_server, proof)
    assert verify(winner, proof["id"]).status_code == 202

    entries = loser.get("/api/v1/audit", query_string={"action": "domain.claim_lost"}).json
    assert [entry["object_id"] for entry in entries] == [str(claim["id"])]
    assert entries[0]["actor_id"] is None and entries[0]["actor_label"] == ""
    assert entries[0]["after"]["state_reason"] == LOST_REASON
    seen_by_winner = winner.get("/api/v1/audit").json
    assert str(claim["id"]) not in {entry["object_id"] for entry in seen_by_winner}


def test_the_txt_value_of_a_member_for_a_name_stays_the_same(member, app, monkeypatch):
    (client, webspace), (other, other_space) = member(), member()
    first = add(client, webspace).json
    assert client.delete(f"/api/v1/domains/{first['id']}").status_code == 202
    again = add(client, webspace).json
    assert again["verification"] == first["verification"]
    value = first["verification"]["value"]
    assert add(other, other_space).json["verification"]["value"] != value
    assert add(client, webspace, "example.net").json["verification"]["value"] != value

    # Keyed from the instance secret: another instance gives other values.
    monkeypatch.setitem(app.config, "SECRET_KEY", "another instance")
    assert client.delete(f"/api/v1/domains/{again['id']}").status_code == 202
    assert add(client, webspace).json["verification"]["value"] != value


def test_a_member_claims_a_name_once(member, make_webspace):
    client, webspace = member()
    add(client, webspace, www_alias=True)
    second_space = make_webspace(webspace.member)
    before = (count(Domain), count(Job))
    for name in ("example.org", "www.example.org"):
        for target in (webspace, second_space):
            response = add(client, target, name)
            assert response.status_code == 409, (name, target)
            assert response.json["error"]["message"] == OWN_CLAIM
    assert (count(Domain), count(Job)) == before


def test_an_unverified_claim_never_blocks_a_proven_owners_www_alias(member, dns_server):
    (owner, owner_space), (other, other_space) = member(), member()
    proof = add(owner, owner_space).json
    publish(dns_server, proof)
    assert verify(owner, proof["id"]).status_code == 202
    with acting("worker"):
        succeed(db.session.get(Domain, proof["id"]).last_job)
    claim = add(other, other_space, "www.example.org")
    assert claim.status_code == 202 and claim.json["state"] == "unverified"

    alias = owner.patch(f"/api/v1/domains/{proof['id']}", json={"www_alias": True})
    assert alias.status_code == 202, alias.json
    assert db.session.get(Job, alias.json["job_id"]).extra_vars["domain_aliases"] == [
        "www.example.org"
    ]
    lost = get(other, claim.json["id"])
    assert lost["state"] == "lost"
    assert lost["state_reason"] == "Another member proved control of www.example.org first."


def test_proving_a_name_with_its_www_alias_wins_the_www_claims(member, dns_server):
    (owner, owner_space), (other, other_space) = member(), member()
    proof = add(owner, owner_space, www_alias=True).json
    claim = add(other, other_space, "www.example.org")
    assert claim.status_code == 202
    publish(dns_server, proof)
    assert verify(owner, proof["id"]).status_code == 202
    assert get(other, claim.json["id"])["state"] == "lost"


def test_a_www_alias_served_by_another_is_refused_at_verification(member, dns_server):
    (owner, owner_space), (other, other_space) = member(), member()
    claim = add(owner, owner_space, www_alias=True).json
    www = add(other, other_space, "www.example.org").json
    publish(dns_server, claim, www)
    assert verify(other, www["id"]).status_code == 202

    refused = verify(owner, claim["id"])
    assert refused.status_code == 409
    assert refused.json["error"]["fields"] == {"www_alias": ["Taken."]}
    assert "www.example.org" in refused.json["error"]["message"]
    assert get(owner, claim["id"])["state"] == "unverified"
    assert (
        owner.patch(f"/api/v1/domains/{claim['id']}", json={"www_alias": True}).status_code == 409
    )
    assert (
        owner.patch(f"/api/v1/domains/{claim['id']}", json={"www_alias": False}).status_code == 202
    )
    assert verify(owner, claim["id"]).status_code == 202


def test_a_claim_learns_at_verification_that_its_name_went_live_elsewhere(member, dns_server):
    (first, first_space), (second, second_space) = member(), member()
    claim = add(first, first_space).json
    make_live(add(second, second_space).json["id"])
    publish(dns_server, claim)
    jobs = count(Job)
    german = {"Accept-Language": "de"}
    refused = first.post(f"/api/v1/domains/{claim['id']}/verify", headers=german)
    assert refused.status_code == 409
    assert refused.json["error"]["message"] == GERMAN_REASON
    assert count(Job) == jobs
    # Kept in English, shown in the reader's language.
    assert db.session.get(Domain, claim["id"]).state_reason == LOST_REASON
    assert get(first, claim["id"])["state_reason"] == LOST_REASON
    shown = first.get(f"/api/v1/domains/{claim['id']}", headers=german).json
    assert shown["state"] == "lost" and shown["state_reason"] == GERMAN_REASON


def test_domains_exempt_from_proof_win_over_claims(member, api_as):
    (claimant, claimant_space), (owner, owner_space) = member(), member()
    claims = [
        add(claimant, claimant_space, name).json for name in ("example.org", "shop.example.org")
    ]
    admin, _ = api_as("admin")
    given = add(admin, owner_space, "example.org")
    assert given.status_code == 202 and given.json["state"] == "pending"
    assert get(claimant, claims[0]["id"])["state"] == "lost"
    # A subdomain of a name the member has proven needs no proof of its own.
    shop = add(owner, owner_space, "shop.example.org")
    assert shop.status_code == 202 and shop.json["state"] == "pending"
    assert get(claimant, claims[1]["id"])["state"] == "lost"


def test_lost_claims_do_not_count_against_the_plan(member, api_as, dns_server):
    (client, webspace), (other, other_space) = member(), member()
    admin, _ = api_as("admin")
    admin.patch(f"/api/v1/webspaces/{webspace.id}", json={"max_domains": 1})
    lost = add(client, webspace).json
    assert add(client, webspace, "example.net").status_code == 409
    proof = add(other, other_space).json
    publish(dns_server, proof)
    verify(other, proof["id"])
    assert get(client, lost["id"])["state"] == "lost"
    assert add(client, webspace, "example.net").status_code == 202


def test_the_database_keeps_one_live_domain_per_name(member):
    (first, first_space), (second, second_space) = member(), member()
    mine = add(first, first_space).json
    theirs = add(second, second_space).json

    def duplicate(of: dict, **values) -> Domain:
        original = db.session.get(Domain, of["id"])
        return Domain(
            webspace_id=original.webspace_id,
            member_id=original.member_id,
            name="example.org",
            document_root="htdocs",
            verification_token="t",
            **values,
        )

    # One claim per member and name.
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(duplicate(mine, state="unverified"))
    # One live domain per name, whoever's.
    make_live(mine["id"])
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.get(Domain, theirs["id"]).verified_at = utcnow()
    db.session.expire_all()
    # A removed domain holds the name no more.
    with db.session.begin_nested():
        db.session.get(Domain, mine["id"]).state = "deleted"
    with db.session.begin_nested():
        db.session.get(Domain, theirs["id"]).verified_at = utcnow()


def test_a_lost_claim_is_shown_in_the_members_language(login_as, make_webspace, member, dns_server):
    browser, user = login_as("member")
    webspace = make_webspace(user.member)
    form = {"name": "example.org"}
    assert browser.post(f"/webspaces/{webspace.id}/domains", data=form).status_code == 302
    twice = browser.post(f"/webspaces/{webspace.id}/domains", data=form)
    assert twice.status_code == 422 and OWN_CLAIM in twice.text
    claim_id = db.session.scalar(select(Domain.id).where(Domain.member_id == user.member_id))
    claim = db.session.get(Domain, claim_id)
    (winner, winner_space) = member()
    proof = add(winner, winner_space).json
    dns_server.serve(
        {
            proof["verification"]["name"]: [
                proof["verification"]["value"],
                f"panel-verification={claim.verification_token}",
            ]
        }
    )
    assert verify(winner, proof["id"]).status_code == 202

    page = browser.get(f"/webspaces/{webspace.id}").text
    assert 'class="state state-lost">lost<' in page and LOST_REASON in page
    assert winner_space.name not in page
    with browser.session_transaction() as session:
        session["lang"] = "de"
    told = browser.post(f"/domains/{claim_id}/verify", follow_redirects=True).text
    assert told.count(GERMAN_REASON) == 2  # the answer to the button, and the claim's row
    assert "verloren" in told
    assert db.session.get(Domain, claim_id).state == "lost"
    winners_browser, _ = login_as(winner_space.member.users[0])
    winners_page = winners_browser.get(f"/webspaces/{winner_space.id}").text
    assert LOST_REASON not in winners_page and webspace.name not in winners_page
