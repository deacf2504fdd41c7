"""A reseller names the customer each webspace serves and sees the usage per customer."""

from datetime import timedelta

import pytest
from ledger_rows import ledger_row
from sqlalchemy import func, select

from panel.core.audit import AuditEntry
from panel.core.errors import ValidationFailed
from panel.core.models import utcnow
from panel.extensions import db
from panel.webspaces.customers import assign_customer, customers_of


@pytest.fixture
def reseller(make_user):
    return make_user("reseller")


@pytest.fixture
def customer(make_user, reseller):
    return make_user("customer", email="shop@example.org", reseller=reseller, display_name="Shop")


def hour_ago():
    return utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


def audit_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "webspace.customer")
    )


def test_the_reseller_sees_the_usage_of_each_customer(
    reseller, customer, make_user, make_webspace, login_as
):
    served = make_webspace(reseller.member)
    own = make_webspace(reseller.member)
    idle = make_user("customer", email="idle@example.org", reseller=reseller)
    ledger_row(served, "traffic", 4_000_000, hour_ago())
    ledger_row(own, "traffic", 9_000_000, hour_ago())
    client, _ = login_as(reseller)

    answer = client.post(f"/webspaces/{served.id}/customer", data={"customer": str(customer.id)})
    assert answer.status_code == 302
    db.session.refresh(served)
    assert served.customer_user_id == customer.id and audit_count() == 1
    assert "Shop" in client.get(f"/webspaces/{served.id}").text

    page = client.get("/usage").text
    customers = page.split('class="customer-usage"')[1]
    shop_row = customers.split("Shop")[1].split("</tr>")[0]
    idle_row = customers.split(idle.email)[1].split("</tr>")[0]
    # Only the webspace that serves the customer counts for it; the reseller's own does not.
    assert "4.00 MB" in shop_row and "9.00 MB" not in customers
    assert "4.00 MB" not in idle_row


def test_the_usage_api_selects_the_rows_of_a_customer(reseller, customer, make_webspace, api_as):
    served = make_webspace(reseller.member)
    own = make_webspace(reseller.member)
    row = ledger_row(served, "traffic", 10, hour_ago())
    ledger_row(own, "traffic", 20, hour_ago())
    client, _ = api_as(reseller)

    answer = client.put(
        f"/api/v1/webspaces/{served.id}/customer", json={"customer_id": customer.id}
    )
    assert answer.status_code == 200 and answer.json["customer_id"] == customer.id
    rows = client.get(f"/api/v1/usage?customer={customer.id}").json
    assert [item["id"] for item in rows] == [row.id]
    cleared = client.put(f"/api/v1/webspaces/{served.id}/customer", json={"customer_id": None})
    assert cleared.status_code == 200 and cleared.json["customer_id"] is None
    db.session.refresh(served)
    assert served.customer_user_id is None
    assert client.get(f"/api/v1/usage?customer={customer.id}").json == []


def test_a_member_without_customers_is_offered_no_choice(make_member, make_webspace, login_as):
    webspace = make_webspace(make_member("sol"))
    client, _ = login_as(webspace.member.users[0])
    assert "Serves the customer" not in client.get(f"/webspaces/{webspace.id}").text
    assert 'class="customer-usage"' not in client.get("/usage").text


def test_the_customers_of_a_member_are_those_of_its_resellers(reseller, customer, make_user):
    other = make_user("reseller")
    make_user("customer", email="elsewhere@example.org", reseller=other)
    assert customers_of(reseller.member_id) == [customer]


@pytest.mark.parametrize(
    "value", ["elsewhere", "member", "nobody", "abc", -1, 0, True, 2.5, "9" * 30, (1,)]
)
def test_only_a_customer_of_the_member_can_be_named(
    reseller, customer, make_user, make_webspace, value
):
    webspace = make_webspace(reseller.member)
    assign_customer(webspace, customer.id)
    others = {
        "elsewhere": make_user(
            "customer", email="elsewhere@example.org", reseller=make_user("reseller")
        ).id,
        "member": make_user("member").id,
        "nobody": 2**31 - 1,
    }
    before = audit_count()
    with pytest.raises(ValidationFailed) as refused:
        assign_customer(webspace, others.get(value, value))
    assert refused.value.fields == {"customer": ["Not one of the member's customers."]}
    db.session.expire_all()
    assert webspace.customer_user_id == customer.id and audit_count() == before


def test_a_bad_choice_is_shown_on_the_form_and_changes_nothing(
    reseller, customer, make_user, make_webspace, login_as, api_as
):
    webspace = make_webspace(reseller.member)
    stranger = make_user("customer", email="stranger@example.org", reseller=make_user("reseller"))
    client, _ = login_as(reseller)
    answer = client.post(f"/webspaces/{webspace.id}/customer", data={"customer": str(stranger.id)})
    assert answer.status_code == 422
    assert "Not one of the member&#39;s customers." in answer.text
    api, _ = api_as(reseller)
    for body in ({"customer_id": stranger.id}, {"customer_id": "1"}, {}, {"customer": 1}):
        refused = api.put(f"/api/v1/webspaces/{webspace.id}/customer", json=body)
        assert refused.status_code == 422, body
    db.session.expire_all()
    assert webspace.customer_user_id is None and audit_count() == 0
