"""Adding a host through the pages shows one outcome: added (green), or the reason onboarding
failed (red) without a message of success beside it."""

import pytest

from panel.extensions import db
from panel.hosts import operations, ssh
from panel.hosts.models import HostState

KEY = ssh.HostKey.from_line(
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
)
FORM = {
    "name": "web5",
    "address": "198.18.0.5",
    "ssh_port": "22",
    "role": "webspace",
    "groups": "",
    "capacity": "100",
    "fingerprint": KEY.fingerprint,
}


@pytest.fixture
def scanned(monkeypatch):
    monkeypatch.setattr(operations, "scan", lambda address, port: KEY)


def refuse(*args, **kwargs):
    raise OSError("Connection refused")


def test_a_failed_onboarding_shows_only_its_reason(login_as, scanned, monkeypatch):
    monkeypatch.setattr(operations.ssh, "connect", refuse)
    client, _ = login_as("admin")
    page = client.post("/admin/hosts/new", data=FORM, follow_redirects=True).get_data(as_text=True)
    assert "added" not in page
    assert 'class="flash success"' not in page
    assert "onboarding failed: Connection refused" in page


def test_onboarding_again_that_fails_shows_no_state_message(login_as, make_host, monkeypatch):
    host = make_host("web6")
    monkeypatch.setattr(operations.ssh, "connect", refuse)
    client, _ = login_as("admin")
    page = client.post(f"/admin/hosts/{host.id}/onboard", follow_redirects=True)
    text = page.get_data(as_text=True)
    db.session.refresh(host)
    assert host.state == HostState.UNREACHABLE
    assert "Host state:" not in text and "onboarding failed: Connection refused" in text


def test_a_successful_onboarding_says_added(login_as, scanned, monkeypatch):
    monkeypatch.setattr(operations.ssh, "connect", lambda *args, **kwargs: _Client())
    monkeypatch.setattr(operations.ssh, "run", lambda client, command: FACTS)
    client, _ = login_as("admin")
    page = client.post("/admin/hosts/new", data=FORM, follow_redirects=True).get_data(as_text=True)
    assert "Host web5 added" in page and "onboarding failed" not in page


class _Client:
    def close(self) -> None:
        pass


FACTS = "Debian GNU/Linux 13 (trixie)\n2\n2147483648\n10737418240 5368709120\n"
