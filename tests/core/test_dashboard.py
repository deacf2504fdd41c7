"""The dashboard shows the cards the features add, each to the roles it is for, in order."""

from panel.core.cards import Card, add_card, cards


def test_an_admin_sees_members_by_status_then_the_recent_changes(login_as):
    client, _ = login_as("admin")
    page = client.get("/").get_data(as_text=True)
    assert page.index("Members by status") < page.index("Recent changes")
    assert "Whole audit log" in page
    assert "Member number" not in page
    assert "Customers" not in page


def test_a_member_sees_its_membership_only(login_as):
    client, user = login_as("member")
    page = client.get("/").get_data(as_text=True)
    assert f"<strong>{user.member.number}</strong>" in page
    assert "Your membership, shares and contact data" in page
    assert "Recent changes" not in page
    assert "Members by status" not in page
    assert "Customers" not in page


def test_a_reseller_sees_its_membership_and_its_customers(login_as, make_user):
    client, reseller = login_as("reseller")
    customer = make_user("customer", reseller=reseller)
    page = client.get("/").get_data(as_text=True)
    assert page.index("Member number") < page.index("<h2>Customers</h2>")
    assert f">{customer.email}</a></li>" in page
    assert "Recent changes" not in page


def test_a_customer_sees_no_card(login_as, make_user):
    reseller = make_user("reseller")
    client, _ = login_as("customer", reseller=reseller)
    page = client.get("/").get_data(as_text=True)
    for title in ("Members by status", "Recent changes", "Member number", "Customers"):
        assert title not in page


def test_cards_come_in_their_order_and_only_where_they_show(app):
    with app.app_context():
        add_card(app, "test-page", Card("second.html", lambda subject, **given: {"n": 2}, 2))
        add_card(app, "test-page", Card("hidden.html", lambda subject, **given: None, 0))
        add_card(app, "test-page", Card("first.html", lambda subject, **given: given, 1))
        try:
            assert cards("test-page", object(), form="f") == [
                ("first.html", {"form": "f"}),
                ("second.html", {"n": 2}),
            ]
        finally:
            del app.extensions["cards"]["test-page"]
