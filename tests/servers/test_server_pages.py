"""The servers' pages: a reseller requests and manages, a customer sees its own and manages
users and keys, an admin approves; the release asks for the server's name."""

from confirmations import confirmation
from server_support import counts, key_line, settle

from panel.core.audit import acting
from panel.extensions import db
from panel.servers import operations
from panel.servers.models import Server
from panel.servers.users import add_user


def test_a_reseller_requests_a_server_on_its_page(login_as, make_reseller):
    reseller, customer = make_reseller()
    client, _ = login_as(reseller)

    page = client.get("/servers")
    assert page.status_code == 200 and customer.email in page.text
    answer = client.post(
        "/servers", data={"customer_id": str(customer.id), "size": "small", "stacks": ["web"]}
    )

    assert answer.status_code == 302
    server = db.session.get(Server, int(answer.headers["Location"].rsplit("/", 1)[1]))
    assert (server.state, server.stacks) == ("requested", ["web"])


def test_a_bad_request_shows_the_error_on_the_form(login_as, make_reseller):
    reseller, customer = make_reseller(shares=1)
    client, _ = login_as(reseller)
    before = counts()

    answer = client.post("/servers", data={"customer_id": str(customer.id), "size": "huge"})
    short = client.post("/servers", data={"customer_id": str(customer.id), "size": "small"})

    assert answer.status_code == 422 and "No such size" in answer.text
    assert short.status_code == 422 and "1 missing" in short.text
    assert counts() == before


def test_an_admin_approves_on_the_list(login_as, make_reseller, make_pool_host):
    reseller, customer = make_reseller()
    make_pool_host()
    with acting("cli", reseller):
        server, _ = operations.request_server(reseller, customer.id, "small", [])
    client, _ = login_as("admin")

    assert "Approve" in client.get("/servers").text
    assert client.post(f"/servers/{server.id}/approve").status_code == 302
    db.session.expire_all()
    assert server.state == "pending"


def test_the_server_page_in_german(login_as, make_server):
    server = make_server()
    client, _ = login_as(server.reseller)
    client.post("/language", data={"lang": "de"})

    page = client.get(f"/servers/{server.id}")

    assert page.status_code == 200
    assert "Firewall" in page.text and "Server freigeben" in page.text
    assert "Nutzer" in page.text


def test_a_customer_sees_users_and_keys_but_not_firewall_actions_or_release(login_as, make_server):
    server = make_server()
    client, _ = login_as(server.customer)

    page = client.get(f"/servers/{server.id}")
    added = client.post(
        f"/servers/{server.id}/users", data={"name": "anna", "keys": key_line("anna")}
    )

    assert page.status_code == 200
    assert "Add user" in page.text
    assert "Open a port" not in page.text and "Release server" not in page.text
    assert "Reboot" not in page.text
    assert added.status_code == 302
    assert [user.name for user in server.users] == ["anna"]


def test_the_release_asks_for_the_servers_name(login_as, make_server):
    server = make_server()
    client, _ = login_as(server.reseller)
    before = counts()

    wrong = client.post(f"/servers/{server.id}/release", data={"mode": "wipe", "confirm": "srv0"})

    assert wrong.status_code == 422 and f"Type {server.hostname} to confirm." in wrong.text
    assert counts() == before
    right = client.post(
        f"/servers/{server.id}/release", data={"mode": "wipe", "confirm": server.hostname}
    )
    assert right.status_code == 302
    db.session.expire_all()
    assert (server.state, server.release_mode) == ("releasing", "wipe")
    settle(server.last_job)
    db.session.expire_all()
    assert server.state == "released"


def test_removing_a_user_or_a_key_asks_first(login_as, make_server):
    server = make_server()
    client, _ = login_as(server.reseller)
    with acting("cli", server.reseller):
        user, job = add_user(server, "anna", keys=key_line("anna@laptop"))
    settle(job)
    page = client.get(f"/servers/{server.id}").text
    assert confirmation(page, f"/server-users/{user.id}/delete") == (
        f"Remove the user anna from {server.hostname}? It can no longer log in."
    )
    key = user.keys[0]
    assert confirmation(page, f"/server-keys/{key.id}/delete") == (
        f"Remove the key {key.fingerprint} of anna? It no longer logs in."
    )
