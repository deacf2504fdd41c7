"""The board's resolution pages: the list, the draft form with its preview and times in the
admin's time zone, PDF attachments, announcing and deleting, participation and the result."""

import hashlib
import html
import re
from datetime import UTC, datetime

import pytest
from resolutions_support import end_vote, make_resolution, resolution_data
from sqlalchemy import select

from panel.core.audit import AuditEntry, acting
from panel.extensions import db
from panel.governance import attachments, operations
from panel.governance.models import Attachment, Phase, Resolution

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def admin(login_as):
    """A logged-in admin in Berlin: (client, user)."""
    client, user = login_as("admin")
    user.timezone = "Europe/Berlin"
    db.session.commit()
    return client, user


def form(**fields) -> dict:
    data = {
        "title": "Statute change § 4",
        "text": "The statute's § 4 reads **from now on**: …",
        "majority": "three_quarters",
        "quorum_percent": "25",
        "ballot": "secret",
        "cutoff": "2026-01-15",
        "discussion_from": "2026-03-02T18:00",
        "voting_from": "2026-03-09T18:00",
        "voting_until": "2026-03-16T12:30",
        "min_supporters": "3",
    }
    data.update(fields)
    return data


def resolutions() -> list[Resolution]:
    return list(db.session.scalars(select(Resolution).order_by(Resolution.id)))


def test_the_list_shows_each_resolution_with_its_phase(admin):
    client, _ = admin
    draft = make_resolution(Phase.DRAFT, title="Budget 2027")
    make_resolution(Phase.VOTING, title="New statute")

    page = client.get("/admin/resolutions").text

    assert 'href="/admin/resolutions/new"' in page
    assert 'href="/admin/resolutions" aria-current="page">Resolutions</a>' in page
    assert f'href="/admin/resolutions/{draft.id}"' in page
    assert "Budget 2027" in page and "New statute" in page
    assert "state-draft" in page and "state-voting" in page
    assert "Budget 2027" in client.get("/admin/resolutions?q=budget").text
    assert "New statute" not in client.get("/admin/resolutions?q=budget").text


def test_a_draft_is_saved_with_its_times_read_in_the_admins_time_zone(admin):
    client, _ = admin
    response = client.post("/admin/resolutions/new", data=form())

    [resolution] = resolutions()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/resolutions/{resolution.id}"
    # Berlin is an hour ahead of UTC in March (before the change to summer time).
    assert resolution.discussion_from == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    assert resolution.voting_until == datetime(2026, 3, 16, 11, 30, tzinfo=UTC)
    assert (resolution.majority, resolution.quorum_percent, resolution.secret) == (
        "three_quarters",
        25,
        True,
    )
    assert resolution.phase == Phase.DRAFT and resolution.min_supporters == 3
    assert operations.motion(resolution).title == "Statute change § 4"

    edit = client.get(f"/admin/resolutions/{resolution.id}/edit").text
    assert 'value="2026-03-02T18:00"' in edit and 'value="2026-03-16T12:30"' in edit


def test_the_new_form_offers_the_majorities_and_the_default_supporters(admin, app):
    client, _ = admin
    page = client.get("/admin/resolutions/new").text
    assert "Three quarters (for statute changes)" in page
    assert 'type="datetime-local"' in page
    default = app.config["GOVERNANCE_MIN_SUPPORTERS"]
    assert re.search(f'name="min_supporters"[^>]*value="{default}"', page)


def test_the_preview_renders_the_text_safely_and_saves_nothing(admin):
    client, _ = admin
    text = "Approve the **accounts**.\n\n<script>alert(1)</script> [x](javascript:alert(1))"

    response = client.post("/admin/resolutions/new", data=form(text=text, preview="1"))

    assert response.status_code == 200
    assert "<strong>accounts</strong>" in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert 'href="javascript' not in response.text
    assert resolutions() == []
    # Only the button asks for it: a plain save that fails shows the form without one.
    refused = client.post("/admin/resolutions/new", data=form(text=text, title=""))
    assert refused.status_code == 422 and "<strong>accounts</strong>" not in refused.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"voting_from": "2026-03-01T10:00"}, "The vote must open after the discussion opens."),
        ({"voting_until": "2026-03-09T18:00"}, "The vote must end after it opens."),
        ({"quorum_percent": "101"}, "Number must be between 0 and 100."),
        ({"title": ""}, "This field is required."),
        ({"discussion_from": "tomorrow"}, "Not a valid datetime value."),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(admin, fields, message):
    client, _ = admin
    response = client.post("/admin/resolutions/new", data=form(**fields))
    assert response.status_code == 422
    assert html.escape(message, quote=False) in response.text
    assert resolutions() == []


def test_a_draft_is_changed_but_an_announced_resolution_is_not(admin):
    client, _ = admin
    resolution = make_resolution(Phase.DRAFT)

    response = client.post(f"/admin/resolutions/{resolution.id}/edit", data=form(title="Renamed"))
    assert response.status_code == 302
    db.session.expire_all()
    assert resolution.title == "Renamed" and operations.motion(resolution).title == "Renamed"

    with acting("cli"):
        operations.announce_resolution(resolution)
    response = client.post(f"/admin/resolutions/{resolution.id}/edit", data=form(title="Again"))
    assert response.status_code == 302
    db.session.expire_all()
    assert resolution.title == "Renamed"
    page = client.get(f"/admin/resolutions/{resolution.id}").text
    assert "Only a draft can be changed." in page


def upload(client, resolution, content=PDF, name="Jahresabschluss.pdf"):
    from io import BytesIO

    return client.post(
        f"/admin/resolutions/{resolution.id}/attachments",
        data={"file": (BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_a_pdf_is_attached_with_a_safe_name_and_its_checksum(admin):
    client, _ = admin
    resolution = make_resolution(Phase.DRAFT)

    response = upload(client, resolution, name="../..\\evil/Jahres<ab>schluss: 2025 – ü.PDF")

    assert response.status_code == 302
    [attachment] = db.session.scalars(select(Attachment)).all()
    assert attachment.filename == "Jahres_ab_schluss_ 2025 _ ü.pdf"
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.size == len(PDF)
    download = client.get(f"/admin/resolutions/{resolution.id}/attachments/{attachment.id}")
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert "attachment;" in download.headers["Content-Disposition"]
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "resolution.attachment_add")
    ).one()
    assert entry.after["sha256"] == attachment.sha256


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"GIF89a not a pdf", 422, "The file is not a PDF."),
        (b"", 422, "Choose a PDF file."),
        (PDF + b"x" * (1024 * 1024), 422, "The file is larger than 1 MB."),
        (PDF + b"x" * (3 * 1024 * 1024), 413, "The file is larger than 1 MB."),
    ],
)
def test_what_is_no_pdf_or_too_large_is_refused(admin, app, monkeypatch, content, status, message):
    monkeypatch.setitem(app.config, "GOVERNANCE_ATTACHMENT_MB", 1)
    client, _ = admin
    resolution = make_resolution(Phase.DRAFT)

    response = upload(client, resolution, content)

    assert response.status_code == status
    assert message in response.text
    assert db.session.scalars(select(Attachment)).all() == []


def test_attachments_are_removed_from_a_draft_only(admin):
    client, _ = admin
    resolution = make_resolution(Phase.DRAFT)
    upload(client, resolution)
    upload(client, resolution, name="second.pdf")
    first, second = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()

    client.post(f"/admin/resolutions/{resolution.id}/attachments/{first.id}/remove")
    assert [a.filename for a in db.session.scalars(select(Attachment))] == ["second.pdf"]
    with acting("cli"):
        operations.announce_resolution(resolution)
    response = client.post(f"/admin/resolutions/{resolution.id}/attachments/{second.id}/remove")
    assert response.status_code == 302
    refusal = "Attachments can only be changed while the resolution is a draft."
    assert refusal in client.get(response.location).text
    refused = upload(client, resolution)
    assert refused.status_code == 409 and refusal in refused.text
    assert [a.filename for a in db.session.scalars(select(Attachment))] == ["second.pdf"]
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("resolution.attachment%"))
    ).all()
    assert sorted(actions) == ["resolution.attachment_add"] * 2 + ["resolution.attachment_remove"]


def test_an_attachment_of_another_resolution_is_not_found(admin):
    client, _ = admin
    one, other = make_resolution(Phase.DRAFT), make_resolution(Phase.DRAFT)
    with acting("cli"):
        attachment = attachments.add_attachment(one, "a.pdf", PDF)
    url = f"/admin/resolutions/{other.id}/attachments/{attachment.id}"
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/remove").status_code == 404


def test_announcing_asks_first_and_says_members_get_mail(admin):
    client, _ = admin
    resolution = make_resolution(Phase.DRAFT)
    page = client.get(f"/admin/resolutions/{resolution.id}").text
    assert "every eligible member gets mail when its discussion and its vote open" in page

    response = client.post(f"/admin/resolutions/{resolution.id}/announce")

    assert response.status_code == 302
    db.session.expire_all()
    assert resolution.phase == Phase.ANNOUNCED
    page = client.get(f"/admin/resolutions/{resolution.id}").text
    assert f"/admin/resolutions/{resolution.id}/announce" not in page
    assert client.post(f"/admin/resolutions/{resolution.id}/announce").status_code == 302
    assert "This resolution is already announced." in client.get(response.location).text


def test_a_draft_is_deleted_an_announced_resolution_is_not(admin):
    client, _ = admin
    draft = make_resolution(Phase.DRAFT, title="Drop me")
    kept = make_resolution(Phase.ANNOUNCED, title="Keep me")

    assert client.post(f"/admin/resolutions/{draft.id}/delete").location == "/admin/resolutions"
    response = client.post(f"/admin/resolutions/{kept.id}/delete")

    assert response.location == f"/admin/resolutions/{kept.id}"
    assert [resolution.title for resolution in resolutions()] == ["Keep me"]


def test_the_board_sees_how_many_voted_but_not_who_chose_what(admin, voter):
    client, _ = admin
    resolution = make_resolution(Phase.VOTING)
    motion_id = operations.motion(resolution).id
    receipts = [
        operations.cast_ballot(resolution, voter(), {motion_id: choice}) for choice in ("yes", "no")
    ]

    page = client.get(f"/admin/resolutions/{resolution.id}").text

    assert "2 members have voted." in page
    assert not any(receipt in page for receipt in receipts)
    assert "minutes.pdf" not in page


def test_after_the_close_the_board_sees_the_result_and_the_minutes(admin, voter):
    client, _ = admin
    resolution = make_resolution(Phase.VOTING)
    motion_id = operations.motion(resolution).id
    for choice in ("yes", "yes", "abstain"):
        operations.cast_ballot(resolution, voter(), {motion_id: choice})
    end_vote(resolution)

    page = client.get(f"/admin/resolutions/{resolution.id}").text

    assert "The motion is passed." in page
    assert "3 members have voted." in page
    assert f'href="/admin/resolutions/{resolution.id}/minutes.pdf"' in page


def test_the_pages_in_german(admin):
    client, user = admin
    user.locale = "de"
    db.session.commit()
    resolution = make_resolution(Phase.DRAFT)

    page = client.get("/admin/resolutions/new").text
    assert "Neuer Beschluss" in page and "Drei Viertel (für Satzungsänderungen)" in page
    detail = client.get(f"/admin/resolutions/{resolution.id}").text
    assert "Bekannt geben" in detail and "Entwurf löschen" in detail


def test_the_api_data_and_the_form_make_the_same_draft(admin):
    client, _ = admin
    with acting("cli"):
        by_api = operations.draft_resolution(
            resolution_data(
                discussion_from="2026-03-02T18:00:00+01:00",
                voting_from="2026-03-09T18:00:00+01:00",
                voting_until="2026-03-16T12:30:00+01:00",
            )
        )
    client.post("/admin/resolutions/new", data=form())
    by_form = resolutions()[-1]
    for name in ("discussion_from", "voting_from", "voting_until"):
        assert getattr(by_form, name) == getattr(by_api, name)
