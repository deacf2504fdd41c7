import pytest

from panel.hosts import operations


class FakeClient:
    def close(self) -> None:
        pass


@pytest.fixture
def reachable(monkeypatch, request):
    """SSH to any host works and reports the test module's FACTS; no host is contacted."""
    facts = request.module.FACTS
    monkeypatch.setattr(operations.ssh, "connect", lambda *args, **kwargs: FakeClient())
    monkeypatch.setattr(operations.ssh, "run", lambda client, command: facts)
