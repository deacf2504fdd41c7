"""What a customer reads of its servers (their jobs, not its reseller's other customers'), and what
its reseller sees of each customer's servers."""

from panel.accounts.operations import create_user
from panel.core.audit import acting
from panel.core.roles import Role
from panel.servers import maintenance


def test_a_customer_reads_its_servers_jobs_and_no_others(api_as, make_server):
    own = make_server()
    with acting("cli"):
        sibling = create_user("sibling@example.org", Role.CUSTOMER, reseller=own.reseller)
    theirs = make_server(reseller=own.reseller, customer=sibling)
    with acting("cli", own.reseller):
        own_job = maintenance.run_action(own, "reboot")
        their_job = maintenance.run_action(theirs, "reboot")

    client, _ = api_as(own.customer)
    listed = {job["id"] for job in client.get("/api/v1/jobs").json}
    assert own_job.id in listed and own.last_job_id in listed
    assert their_job.id not in listed and theirs.last_job_id not in listed
    assert client.get(f"/api/v1/jobs/{own_job.id}").status_code == 200
    assert client.get(f"/api/v1/jobs/{their_job.id}").status_code == 404
    assert client.post(f"/api/v1/jobs/{own_job.id}/cancel").status_code in (403, 409)


def test_the_reseller_sees_each_customers_servers_on_its_customers_page(login_as, make_server):
    server = make_server()
    with acting("cli"):
        idle = create_user("idle@example.org", Role.CUSTOMER, reseller=server.reseller)
    client, _ = login_as(server.reseller)
    page = client.get("/customers").get_data(as_text=True)
    assert f'/servers/{server.id}">{server.hostname}</a> (medium, active)' in page
    assert "No servers for them." in page
    assert idle.email in page
