"""Video's fixtures: a member with a video tenant whose BBB API is a BigBlueButton test double
(bbb_double.py) instead of BBBLB, for the panel's rooms, guests and recordings against the
documented API without a testbed (test_video_testbed.py has them through a real BBBLB)."""

import pytest
from bbb_double import BbbDouble
from video_support import DOMAIN, VideoMember, settle

from panel.core.audit import acting
from panel.extensions import db
from panel.hosts.models import HostRole
from panel.video import meetings
from panel.video import operations as video
from panel.video.bbb_api import BbbClient
from panel.video.models import VideoTenant


@pytest.fixture
def balancer(app, make_host, monkeypatch):
    """PANEL_VIDEO_DOMAIN set and a ready BBBLB host."""
    monkeypatch.setitem(app.config, "VIDEO_DOMAIN", DOMAIN)
    host = make_host("bbblb1")
    host.role = HostRole.BBB_LB
    db.session.commit()
    return host


@pytest.fixture
def video_member(balancer, make_user):
    """Makes members whose tenants BBBLB has been told of."""

    def make() -> VideoMember:
        user = make_user("member")
        with acting("cli", user):
            tenant, secret, job = video.create_tenant(user.member)
        settle(job)
        return VideoMember(user, tenant, secret)

    return make


@pytest.fixture
def double(monkeypatch):
    """A BBB double that the panel's calls for any tenant go to."""
    server = BbbDouble("not-a-tenant-secret").start()

    def client_for(tenant: VideoTenant) -> BbbClient:
        return BbbClient(server.base_url, tenant.secret)

    monkeypatch.setattr(meetings, "tenant_client", client_for)
    try:
        yield server
    finally:
        server.stop()
