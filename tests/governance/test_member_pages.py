"""The members' resolution pages: the list, a resolution by phase, the discussion's forms, the
proxy, the ballot with its receipt shown once, the result with the receipts, in German too."""

import re
from datetime import timedelta

import pytest
from discussion_support import in_discussion
from resolutions_support import CUTOFF, add_amendment, end_vote, make_resolution

from panel.core.audit import acting
from panel.extensions import db
from panel.governance import discussion, operations
from panel.governance.models import (
    AmendmentSupport,
    Attachment,
    BallotChoice,
    Comment,
    Participation,
    Phase,
    Proxy,
    ResolutionItem,
)

RECEIPT = re.compile(r'id="receipt-code">([0-9A-Z-]+)<')


@pytest.fixture
def member_client(login_as, voter):
    """A logged-in member on the register at the cutoff: (client, member)."""

    def make(**fields):
        member = voter(**fields)
        return login_as(member.users[0])[0], member

    return make


def _page(client, resolution, **query):
    response = client.get(f"/resolutions/{resolution.id}", query_string=query)
    assert response.status_code == 200
    return response.text


def test_the_list_shows_announced_running_and_closed_resolutions_but_no_draft(member_client):
    client, member = member_client()
    draft = make_resolution(Phase.DRAFT, title="Secret plan")
    voting = make_resolution(Phase.VOTING, title="New statute")
    make_resolution(Phase.ANNOUNCED, title="Next year's budget")
    operations.cast_ballot(voting, member, {operations.motion(voting).id: "yes"})
    html = client.get("/resolutions").text
    assert "New statute" in html and "Next year&#39;s budget" in html
    assert "Secret plan" not in html
    assert html.count("you voted") == 1
    assert client.get(f"/resolutions/{draft.id}").status_code == 404
    assert client.get("/").text.count('href="/resolutions"') == 1


def test_customers_have_no_part_in_the_resolutions(login_as, make_user):
    reseller = make_user("reseller")
    client, _ = login_as("customer", reseller=reseller)
    resolution = make_resolution(Phase.VOTING)
    assert client.get("/resolutions").status_code == 403
    assert client.get(f"/resolutions/{resolution.id}").status_code == 403


def test_a_resolution_shows_its_text_timeline_and_whether_one_may_vote(member_client):
    resolution = make_resolution(
        Phase.ANNOUNCED,
        text="Approve <script>alert(1)</script> **now**",
        majority="two_thirds",
        quorum_percent=25,
    )
    client, _ = member_client()
    html = _page(client, resolution)
    assert "<strong>now</strong>" in html and "<script>alert" not in html
    assert "Two thirds of the yes and no votes." in html
    assert "25 % of the members entitled to vote must take part." in html
    assert "January 15, 2026" in html
    assert "You are entitled to vote on this resolution." in html
    late_client, _ = member_client(on=CUTOFF + timedelta(days=1))
    assert "you were admitted later" in _page(late_client, resolution)


def test_a_member_comments_and_bad_input_keeps_what_was_typed(member_client, count_rows):
    resolution = in_discussion()
    client, member = member_client()
    response = client.post(f"/resolutions/{resolution.id}/comments", data={"text": "   "})
    assert response.status_code == 422
    typed = "x" * (discussion.MAX_COMMENT + 1)
    response = client.post(f"/resolutions/{resolution.id}/comments", data={"text": typed})
    assert response.status_code == 422
    assert typed in response.text and "Field cannot be longer" in response.text
    assert count_rows(Comment) == 0
    response = client.post(
        f"/resolutions/{resolution.id}/comments",
        data={"text": "In favour <b>strongly</b>", "member_id": "999"},
    )
    assert response.status_code == 302
    (comment,) = db.session.scalars(db.select(Comment)).all()
    assert comment.member_id == member.id
    html = _page(client, resolution)
    assert "In favour &lt;b&gt;strongly&lt;/b&gt;" in html and member.name in html


def test_a_member_not_entitled_gets_no_form_and_a_refusal(member_client, count_rows):
    resolution = in_discussion()
    client, _ = member_client(on=CUTOFF + timedelta(days=1))
    assert 'name="text"' not in _page(client, resolution)
    response = client.post(f"/resolutions/{resolution.id}/comments", data={"text": "Me too"})
    assert response.status_code == 403
    assert "Only members entitled to vote" in response.text
    assert count_rows(Comment) == 0


def test_amendments_are_proposed_supported_for_oneself_only_and_withdrawn(
    member_client, voter, count_rows
):
    resolution = in_discussion(min_supporters=5)
    proposer_client, _ = member_client()
    response = proposer_client.post(
        f"/resolutions/{resolution.id}/amendments", data={"title": "", "text": "Kept text"}
    )
    assert response.status_code == 422 and "Kept text" in response.text
    response = proposer_client.post(
        f"/resolutions/{resolution.id}/amendments",
        data={"title": "A remark", "text": "Approve *with* a remark."},
    )
    assert response.status_code == 302
    item = db.session.scalars(
        db.select(ResolutionItem).where(ResolutionItem.title == "A remark")
    ).one()
    assert "1 of 5 supporters needed" in _page(proposer_client, resolution)

    client, _ = member_client()
    other = voter()
    url = f"/resolutions/{resolution.id}/amendments/{item.id}"
    for _ in range(2):
        assert client.post(f"{url}/support", data={"member_id": other.id}).status_code == 302
    assert count_rows(AmendmentSupport) == 2
    assert count_rows(AmendmentSupport, AmendmentSupport.member_id == other.id) == 0
    html = _page(client, resolution)
    assert "2 of 5 supporters needed" in html and "Withdraw support" in html
    assert client.post(f"{url}/unsupport").status_code == 302
    assert count_rows(AmendmentSupport) == 1

    client.post(f"{url}/withdraw")
    assert "Only its proposer may withdraw" in _page(client, resolution)
    assert 'data-confirm="Withdraw this amendment?' in _page(proposer_client, resolution)
    proposer_client.post(f"{url}/withdraw")
    db.session.refresh(item)
    assert item.state == "withdrawn"


def test_an_amendment_of_another_resolution_is_not_found(member_client):
    first, second = in_discussion(), in_discussion()
    item = discussion.propose_amendment(first, member_client()[1], "Elsewhere", "Text")
    client, _ = member_client()
    response = client.post(f"/resolutions/{second.id}/amendments/{item.id}/support")
    assert response.status_code == 404


def _vote(client, resolution, choices: dict, principal=None):
    prefix = f"for{principal.id}" if principal else "own"
    data = {f"{prefix}-item_{item_id}": choice for item_id, choice in choices.items()}
    data["principal"] = str(principal.id) if principal else ""
    return client.post(f"/resolutions/{resolution.id}/ballot", data=data)


def test_the_receipt_is_shown_after_the_vote_and_verifies_after_the_close(member_client, voter):
    resolution = make_resolution(Phase.VOTING)
    amendment = add_amendment(resolution)
    motion = operations.motion(resolution)
    client, member = member_client()
    html = _page(client, resolution)
    assert "Cast the vote" in html and f"own-item_{amendment.id}" in html

    voted = _vote(client, resolution, {motion.id: "yes", amendment.id: "no"})
    assert voted.status_code == 303
    assert voted.headers["Location"].endswith(f"/resolutions/{resolution.id}?cast=own#receipt")
    response = client.get(voted.headers["Location"])
    assert response.headers["Cache-Control"] == "no-store"
    receipt = RECEIPT.search(response.text).group(1)
    assert receipt == operations.my_receipt(resolution, member)
    assert 'data-copy="receipt-code"' in response.text

    later = _page(client, resolution)
    assert receipt not in later
    assert "You voted on" in later and "You can change your vote until" in later
    assert "Change the vote" in later

    operations.cast_ballot(resolution, voter(), {motion.id: "no"})
    end_vote(resolution)
    closed = _page(client, resolution, receipt=receipt.lower().replace("-", ""))
    assert f"Your receipt {receipt} is counted as:" in closed
    assert "Annual accounts 2025: yes; Amendment: no" in closed
    assert "The motion is not adopted." in closed  # one yes, one no
    assert "entitled to vote on this resolution" not in closed  # the vote is over
    missing = _page(client, resolution, receipt="NOPE")
    assert "No ballot has the receipt NOPE." in missing


def test_a_ballot_without_a_choice_on_the_motion_is_refused_and_nothing_stored(
    member_client, count_rows
):
    resolution = make_resolution(Phase.VOTING)
    amendment = add_amendment(resolution)
    client, _ = member_client()
    response = _vote(client, resolution, {amendment.id: "yes"})
    assert response.status_code == 422
    assert "Choose yes, no or abstain." in response.text
    assert f'checked id="own-item_{amendment.id}-0"' in response.text  # kept: yes
    response = _vote(client, resolution, {operations.motion(resolution).id: "maybe"})
    assert response.status_code == 422 and "Not a valid choice" in response.text
    assert count_rows(Participation) == 0 and count_rows(BallotChoice) == 0


def test_a_ballot_outside_the_vote_is_refused(member_client, count_rows):
    resolution = in_discussion()
    client, _ = member_client()
    response = _vote(client, resolution, {operations.motion(resolution).id: "yes"})
    assert response.status_code == 409 and "The vote is not open." in response.text
    assert count_rows(Participation) == 0


def test_a_proxy_votes_for_its_principal_and_an_open_vote_shows_the_names(
    member_client, count_rows
):
    resolution = make_resolution(Phase.VOTING, secret=False)
    motion = operations.motion(resolution)
    principal_client, principal = member_client(name="Paula Principal")
    proxy_client, proxy = member_client(name="Petra Proxy")
    response = principal_client.post(
        f"/resolutions/{resolution.id}/proxy", data={"proxy_member": "M-99999"}
    )
    assert response.status_code == 422 and "No member has this number." in response.text
    response = principal_client.post(
        f"/resolutions/{resolution.id}/proxy", data={"proxy_member": proxy.number}
    )
    assert response.status_code == 302
    assert "Petra Proxy" in _page(principal_client, resolution)
    html = _page(proxy_client, resolution)
    assert "As proxy for Paula Principal" in html

    stranger_client, _ = member_client()
    assert _vote(stranger_client, resolution, {motion.id: "no"}, principal).status_code == 403
    for_principal = _vote(proxy_client, resolution, {motion.id: "no"}, principal)
    assert for_principal.status_code == 303
    shown = proxy_client.get(for_principal.headers["Location"]).text
    assert "The vote for Paula Principal is cast" in shown
    assert RECEIPT.search(shown).group(1) == operations.my_receipt(resolution, principal)
    assert stranger_client.get(for_principal.headers["Location"]).status_code == 403
    assert _vote(proxy_client, resolution, {motion.id: "yes"}).status_code == 303
    html = _page(proxy_client, resolution)
    assert "Your recorded choice: yes" in html and "Your recorded choice: no" in html
    assert count_rows(Participation) == 2

    assert principal_client.post(f"/resolutions/{resolution.id}/proxy/revoke").status_code == 302
    assert count_rows(Proxy) == 0
    end_vote(resolution)
    closed = _page(stranger_client, resolution)
    assert "Votes by name" in closed and "Paula Principal" in closed


def test_attachments_download_as_pdf(member_client):
    resolution = make_resolution(Phase.ANNOUNCED)
    draft = make_resolution(Phase.DRAFT)
    documents = [
        Attachment(
            resolution_id=owner.id,
            filename="Bilanz 2025.pdf",
            size=8,
            sha256="0" * 64,
            content=b"%PDF-1.7",
        )
        for owner in (resolution, draft)
    ]
    db.session.add_all(documents)
    db.session.commit()
    client, _ = member_client()
    assert "Bilanz 2025.pdf" in _page(client, resolution)
    response = client.get(f"/resolutions/{resolution.id}/attachments/{documents[0].id}")
    assert response.status_code == 200 and response.data == b"%PDF-1.7"
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/resolutions/{draft.id}/attachments/{documents[1].id}").status_code == 404
    wrong = f"/resolutions/{resolution.id}/attachments/{documents[1].id}"
    assert client.get(wrong).status_code == 404


def test_the_pages_speak_german(member_client):
    resolution = in_discussion()
    client, member = member_client()
    with acting("cli"):
        member.users[0].locale = "de"
        db.session.commit()
    listing = client.get("/resolutions").text
    assert "Beschlüsse" in listing and "Aussprache" in listing
    html = _page(client, resolution)
    for words in ("Antrag", "Änderungsantrag vorschlagen", "Vollmacht", "Sie sind"):
        assert words in html, words
    response = client.post(f"/resolutions/{resolution.id}/comments", data={"text": ""})
    assert response.status_code == 422 and "Dieses Feld wird benötigt." in response.text


def test_members_download_the_minutes_once_the_vote_has_closed(member_client):
    resolution = make_resolution(Phase.VOTING)
    client, member = member_client()
    operations.cast_ballot(resolution, member, {operations.motion(resolution).id: "yes"})
    url = f"/resolutions/{resolution.id}/minutes.pdf"
    assert url not in _page(client, resolution)
    assert client.get(url).status_code == 409
    end_vote(resolution)
    assert url in _page(client, resolution)
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
