"""The video cluster page: ending every meeting asks first, naming the server; a tenant's
limits the office mistyped come back as typed, with the reason."""

import re

from confirmations import confirmation
from video_support import settle

from panel.core.audit import acting
from panel.extensions import db
from panel.video import operations as video
from panel.video import views
from panel.video.status import ServerStatus


def test_ending_all_meetings_asks_first(balancer, login_as, monkeypatch):
    # The page asks each server how it is; this one is never contacted.
    monkeypatch.setattr(
        views, "server_status", lambda server: ServerStatus(reachable=False, problem="test")
    )
    with acting("cli"):
        server, job = video.add_server("198.18.8.1:8443", "serversecret0123456789")
    settle(job)
    client, _ = login_as("admin")
    page = client.get("/video/admin").text
    assert confirmation(page, f"/video/admin/servers/{server.id}/panic") == (
        "End all meetings on 198.18.8.1:8443? Everyone in them is disconnected at once."
    )
    assert confirmation(page, f"/video/admin/servers/{server.id}/cordon") is None


def test_refused_limits_keep_what_was_typed(video_member, login_as):
    member = video_member()
    tenant = member.tenant
    client, _ = login_as("admin")
    prefix = f"t{tenant.id}-"
    url = f"/video/admin/tenants/{tenant.id}/limits"
    mistyped = client.post(url, data={f"{prefix}max_participants": "lots"})
    assert mistyped.status_code == 422
    (typed,) = re.findall(rf'<input [^>]*name="{prefix}max_participants"[^>]*>', mistyped.text)
    assert 'value="lots"' in typed and 'aria-invalid="true"' in typed
    too_many = client.post(
        url, data={f"{prefix}max_participants": "5000", f"{prefix}max_duration_minutes": "90"}
    )
    assert too_many.status_code == 422
    assert 'value="5000"' in too_many.text and 'value="90"' in too_many.text
    assert 'aria-invalid="true"' in too_many.text
    db.session.refresh(tenant)
    assert tenant.max_participants != 5000
