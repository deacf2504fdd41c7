"""Members' VAT IDs: checked with python-stdnum before anything is written."""

import pytest

from panel.coop import operations
from panel.core.audit import acting
from panel.core.errors import ValidationFailed
from panel.extensions import db


@pytest.mark.parametrize("value", ["DE123456789", "ATU1358562", "XX123", "DE 12345678 9x"])
def test_an_invalid_vat_id_is_refused_and_nothing_changes(make_member, value):
    member = make_member("vta")
    with pytest.raises(ValidationFailed) as caught, acting("cli"):
        operations.update_member(member, {"vat_id": value})
    assert "vat_id" in caught.value.fields
    db.session.expire_all()
    assert member.vat_id == ""


def test_a_valid_vat_id_is_kept_compact(make_member, api_as):
    member = make_member("vtb")
    client, _ = api_as("admin")
    answer = client.patch(f"/api/v1/members/{member.id}", json={"vat_id": "ATU 1358 5627"})
    assert answer.status_code == 200, answer.json
    assert answer.json["vat_id"] == "ATU13585627"
    refused = client.patch(f"/api/v1/members/{member.id}", json={"vat_id": "DE000"})
    assert refused.status_code == 422 and "vat_id" in refused.json["error"]["fields"]


def test_a_member_cannot_set_its_own_vat_id(make_member, api_as, login_as):
    """It decides whether its invoices carry VAT: the office checks and sets it."""
    member = make_member("vtc")
    client, _ = api_as(member.users[0])
    answer = client.patch(f"/api/v1/members/{member.id}", json={"vat_id": "ATU13585627"})
    assert answer.status_code == 403
    page, _ = login_as(member.users[0])
    assert "vat_id" not in page.get("/membership").text
    db.session.expire_all()
    assert member.vat_id == ""
