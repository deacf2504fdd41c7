"""A member's votes in its data export: its receipt of a secret ballot (nobody else's), its
choices of an open one, its comments and proxies."""

import io
import json
import zipfile

from resolutions_support import make_resolution

from panel.governance import discussion, operations
from panel.governance.models import Phase


def exported(api_as, member) -> dict[str, bytes]:
    client, _ = api_as(member.users[0])
    answer = client.get(f"/api/v1/members/{member.id}/export")
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_export_holds_the_members_receipts_and_open_choices(voter, api_as):
    secret = make_resolution(title="Secret matter")
    open_ = make_resolution(title="Open matter", secret=False)
    member, neighbour = voter(), voter()
    mine = operations.cast_ballot(secret, member, {operations.motion(secret).id: "no"})
    theirs = operations.cast_ballot(secret, neighbour, {operations.motion(secret).id: "yes"})
    operations.cast_ballot(open_, member, {operations.motion(open_).id: "abstain"})

    files = exported(api_as, member)

    votes = {
        vote["resolution"]["title"]: vote for vote in json.loads(files["governance/votes.json"])
    }
    assert votes["Secret matter"]["receipt"] == mine
    assert "choices" not in votes["Secret matter"]
    assert votes["Open matter"]["choices"] == {str(operations.motion(open_).id): "abstain"}
    assert theirs.encode() not in b"".join(files.values())


def test_the_export_holds_comments_and_proxies(voter, api_as):
    resolution = make_resolution(phase=Phase.DISCUSSION)
    member, proxy = voter(), voter()
    discussion.add_comment(resolution, member.users[0], "I second this.")
    operations.authorise_proxy(resolution, member, proxy)

    files = exported(api_as, member)

    assert [c["text"] for c in json.loads(files["governance/comments.json"])] == ["I second this."]
    assert json.loads(files["governance/proxies.json"])[0]["given_to"] == proxy.number
    received = exported(api_as, proxy)
    assert json.loads(received["governance/proxies.json"])[0]["received_from"] == member.number
