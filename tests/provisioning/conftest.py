import os

import pytest
from e2e_support import live_panel as start_live_panel

# The two deployments the panel has: the embedded default (SQLite, Huey on SQLite) and
# production (PostgreSQL, Huey on Redis). The run on each database boots the hosts for its own;
# together they cover both queue storages.
QUEUES = (
    ["redis"]
    if os.environ.get("PANEL_TEST_DATABASE_URL", "").startswith("postgresql")
    else ["sqlite"]
)


@pytest.fixture(scope="module", params=QUEUES, ids=lambda queue: f"queue-{queue}")
def live_panel(request, tmp_path_factory):
    """A panel with its own database, a three-host testbed and a running worker (see
    e2e_support), with the queue storage of its database's deployment."""
    with start_live_panel(tmp_path_factory.mktemp("live"), request.param) as live:
        yield live


@pytest.fixture
def live(live_panel):
    """The live panel as a test should find it: a worker running, no job left unfinished by
    the test before, every host's ping quick."""
    live_panel.reset()
    return live_panel
