"""A failed managed server reads in plain words to its reseller and customer, with a retry for
the reseller; the technical reason only to admins."""

from server_support import settle

from panel.core.audit import acting
from panel.provisioning.models import JobStatus
from panel.servers import operations

RAW = "unreachable: m1: m1: Task failed: Failed to connect to the host via ssh: Permission denied"


def test_a_failed_server_reads_plainly(login_as, make_reseller, make_pool_host):
    reseller, customer = make_reseller()
    make_pool_host()
    with acting("cli", reseller):
        server, _ = operations.request_server(reseller, customer.id, "small", [])
    with acting("cli"):
        _, job = operations.approve_server(server)
    settle(job, JobStatus.FAILED, reason=RAW)

    for user, retry in ((reseller, True), (customer, False)):
        text = login_as(user)[0].get(f"/servers/{server.id}").text
        assert "Our server could not be reached" in text and "Permission denied" not in text
        assert (f'action="/jobs/{job.id}/retry"' in text) is retry
    admin = login_as("admin")[0].get(f"/servers/{server.id}").text
    assert "Permission denied" in admin and f'href="/jobs/{job.id}"' in admin
