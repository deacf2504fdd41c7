"""Local Debian hosts for development and tests: `panel testbed up/status/down`.

Each host is an overlay of one cached Debian bookworm image, booted with systemd-nspawn into a
network namespace of its own. Everything the testbed makes carries the name prefix "pnltb"
(namespaces, links, cgroups, mount points under RUN_DIR), so `down` finds it again after a crash
even without the state file. There is one testbed per machine.
"""

PREFIX = "pnltb"


class TestbedError(RuntimeError):
    """Something the testbed could not do, with a message meant for the person running it."""
