"""A closed resolution's minutes: a PDF/A document with the dates, the count, the result and
the receipts (or, for an open ballot, the names); none before the close."""

from io import BytesIO

import pytest
from flask_babel import force_locale
from lxml import etree
from pypdf import PdfReader
from resolutions_support import add_amendment, end_vote, make_resolution

from panel.core.errors import Conflict
from panel.governance import operations
from panel.governance.minutes import minutes_pdf
from panel.governance.models import ItemState, Phase

XMP = {"pdfaid": "http://www.aiim.org/pdfa/ns/id/"}


def parsed(pdf: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), reader


def closed_with_ballots(voter, secret=True):
    """A closed resolution with an amendment: two yes, one no on the motion."""
    resolution = make_resolution(Phase.VOTING, secret=secret, quorum_percent=50)
    amendment = add_amendment(resolution, title="Remark on the reserves")
    add_amendment(resolution, ItemState.NOT_ADMITTED, title="Dissolve the cooperative")
    motion_id = operations.motion(resolution).id
    members = [voter(name=name) for name in ("Anna Aal", "Bert Berg", "Cora Cohn")]
    receipts = [
        operations.cast_ballot(resolution, member, {motion_id: choice, amendment.id: "abstain"})
        for member, choice in zip(members, ("yes", "yes", "no"), strict=True)
    ]
    voter(name="Dora Dorn")
    end_vote(resolution)
    return resolution, receipts


def test_the_minutes_are_pdf_a_with_the_result_and_every_receipt(voter):
    resolution, receipts = closed_with_ballots(voter)

    text, reader = parsed(minutes_pdf(resolution))

    xmp = etree.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())
    # WeasyPrint writes the PDF/A identification as attributes of an rdf:Description.
    assert xmp.xpath("//@pdfaid:part", namespaces=XMP) == ["3"]
    assert xmp.xpath("//@pdfaid:conformance", namespaces=XMP) == ["B"]
    assert "Minutes of the resolution “Annual accounts 2025”" in text
    assert "The motion is passed." in text
    assert "Eligible members 4" in text and "Voters 3" in text and "Turnout 75 %" in text
    assert "Quorum met yes" in text
    assert "1. Annual accounts 2025 2 1 0 yes yes" in text
    assert "2. Remark on the reserves 0 0 3 no no" in text
    assert "Dissolve the cooperative" in text
    for receipt in receipts:
        assert receipt in text
    assert "Anna Aal" not in text


def test_an_open_ballots_minutes_name_the_voters(voter):
    resolution, receipts = closed_with_ballots(voter, secret=False)

    text, _ = parsed(minutes_pdf(resolution))

    assert "Anna Aal" in text and "Cora Cohn" in text
    assert "Dora Dorn" not in text
    assert not any(receipt in text for receipt in receipts)


def test_the_minutes_in_german(voter):
    resolution, _ = closed_with_ballots(voter)
    with force_locale("de"):
        text, _ = parsed(minutes_pdf(resolution))
    assert "Protokoll des Beschlusses" in text
    assert "Der Antrag ist angenommen." in text


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.ANNOUNCED, Phase.DISCUSSION, Phase.VOTING])
def test_there_are_no_minutes_before_the_close(phase):
    resolution = make_resolution(phase)
    with pytest.raises(Conflict):
        minutes_pdf(resolution)


def test_the_board_downloads_the_minutes(login_as, voter):
    resolution, receipts = closed_with_ballots(voter)
    client, _ = login_as("admin")

    response = client.get(f"/admin/resolutions/{resolution.id}/minutes.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert receipts[0] in parsed(response.data)[0]
    running = make_resolution(Phase.VOTING)
    assert client.get(f"/admin/resolutions/{running.id}/minutes.pdf").status_code == 409
