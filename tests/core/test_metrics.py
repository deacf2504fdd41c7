"""/metrics: open to the allowed networks and to admin tokens, labelled by endpoint, not path."""

from prometheus_client.parser import text_string_to_metric_families

from panel.core.metrics import address_allowed

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}
# A TEST-NET-3 address, used only as REMOTE_ADDR in the WSGI environ; nothing is sent to it.
REMOTE = {"REMOTE_ADDR": "203.0.113.5"}


def _scrape(client) -> dict[str, list]:
    response = client.get("/metrics", environ_base=LOCAL)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        family.name: family.samples
        for family in text_string_to_metric_families(response.get_data(as_text=True))
    }


def _requests(families, **labels) -> float:
    return sum(
        sample.value
        for sample in families["panel_http_requests"]
        if sample.name == "panel_http_requests_total"
        and all(sample.labels.get(key) == value for key, value in labels.items())
    )


def test_readable_from_loopback(client):
    families = _scrape(client)
    assert "panel_http_requests" in families
    assert "panel_http_request_duration_seconds" in families


def test_forbidden_from_elsewhere(client):
    response = client.get("/metrics", environ_base=REMOTE)
    assert response.status_code == 403
    assert b"panel_http_requests_total" not in response.data


def test_admin_token_opens_it_from_elsewhere(api_as):
    admin_client, _ = api_as("admin")
    response = admin_client.get("/metrics", environ_base=REMOTE)
    assert response.status_code == 200
    assert b"panel_http_requests_total" in response.data


def test_member_token_does_not(api_as):
    member_client, _ = api_as("member")
    response = member_client.get("/metrics", environ_base=REMOTE)
    assert response.status_code == 403
    assert b"panel_http_requests_total" not in response.data


def test_wrong_token_does_not(client):
    response = client.get(
        "/metrics", environ_base=REMOTE, headers={"Authorization": "Bearer pnl_not-a-token"}
    )
    assert response.status_code == 403


def test_requests_are_counted_and_timed_by_endpoint(client):
    before = _scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    after = _scrape(client)
    labels = {"endpoint": "core.healthz", "method": "GET", "status": "200"}
    assert _requests(after, **labels) - _requests(before, **labels) == 2
    counts = {
        sample.labels["endpoint"]: sample.value
        for sample in after["panel_http_request_duration_seconds"]
        if sample.name == "panel_http_request_duration_seconds_count"
    }
    previous = {
        sample.labels["endpoint"]: sample.value
        for sample in before["panel_http_request_duration_seconds"]
        if sample.name == "panel_http_request_duration_seconds_count"
    }
    assert counts["core.healthz"] - previous.get("core.healthz", 0) == 2


def test_labels_name_endpoints_not_paths(client, api_as):
    member_client, _ = api_as("member")
    assert member_client.get("/api/v1/members/12345").status_code == 404
    assert client.get("/no/such/page/67890").status_code == 404
    families = _scrape(client)
    # In label values, where a path would be; sample values (timestamps) may hold any digits.
    labels = {
        value for samples in families.values() for s in samples for value in s.labels.values()
    }
    assert not [value for value in labels if "12345" in value or "67890" in value]
    assert _requests(families, endpoint="api_members.get_member", status="404") >= 1
    assert _requests(families, endpoint="unmatched", status="404") >= 1


def test_address_allowed():
    allow = "127.0.0.1/8,::1/128, 10.0.0.0/8"
    assert address_allowed("127.0.0.1", allow)
    assert address_allowed("127.8.9.10", allow)
    assert address_allowed("::1", allow)
    assert address_allowed("10.1.2.3", allow)
    # A dual-stack server shows IPv4 clients as IPv4-mapped IPv6 addresses.
    assert address_allowed("::ffff:127.0.0.1", allow)
    assert not address_allowed("::ffff:203.0.113.5", allow)
    assert not address_allowed("203.0.113.5", allow)
    assert not address_allowed("", allow)
    assert not address_allowed(None, allow)
    assert not address_allowed("not an address", allow)
