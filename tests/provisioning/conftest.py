import pytest
from e2e_support import live_panel as start_live_panel


@pytest.fixture(scope="module", params=["sqlite", "redis"], ids=lambda queue: f"queue-{queue}")
def live_panel(request, tmp_path_factory):
    """A panel with its own database, a three-host testbed and a running worker (see
    e2e_support), once per queue storage."""
    with start_live_panel(tmp_path_factory.mktemp("live"), request.param) as live:
        yield live


@pytest.fixture
def live(live_panel):
    """The live panel as a test should find it: a worker running, no job left unfinished by
    the test before, every host's ping quick."""
    live_panel.reset()
    return live_panel
