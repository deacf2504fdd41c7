"""Local Debian hosts for development and tests: `panel testbed up/status/down` (or
`panel-testbed ...`). A distribution of its own, installed into the development venv only: it uses
the panel, the panel never imports it.

Each host is an overlay of one cached Debian image, booted with systemd-nspawn into a network
namespace of its own. Everything the testbed makes carries the lane's name prefix (namespaces,
links, cgroups, mount points under RUN_DIR), so `down` finds it again after a crash even without
the state file.

A machine runs one testbed per lane (PANEL_TESTBED_LANE, 0 to 9, default 0): each lane has its
own prefix ("pnltb" for lane 0, "pnl<N>t" for lane N), its own subnet (198.18.<N>.0/24) and its
own lock, so that several test runs can boot hosts side by side without seeing each other's.
"""

import os

MAX_LANE = 9


class TestbedError(RuntimeError):
    """Something the testbed could not do, with a message meant for the person running it."""


def _lane() -> int:
    text = os.environ.get("PANEL_TESTBED_LANE", "").strip() or "0"
    if not text.isdigit() or int(text) > MAX_LANE:
        raise TestbedError(f"PANEL_TESTBED_LANE must be a number from 0 to {MAX_LANE}: {text!r}")
    return int(text)


LANE = _lane()
# No lane's prefix starts with another's: "pnltb", "pnl1t", ..., "pnl9t".
PREFIX = "pnltb" if LANE == 0 else f"pnl{LANE}t"
