"""end_tree: every process below a root ends, and is gone when it returns."""

import subprocess
from pathlib import Path

from polling import poll

from panel.provisioning.processes import descendants, end_tree


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_the_whole_tree_below_the_root_is_gone_when_end_tree_returns():
    root = subprocess.Popen(["sh", "-c", "sleep 301 & sh -c 'sleep 302 & wait' & wait"])
    try:
        poll(lambda: len(descendants(root.pid)) >= 3, 10, "the tree did not start")
        below = descendants(root.pid)
        end_tree(root.pid)
        assert not [pid for pid in below if command_line(pid)], "a process ran on"
        # The root is left alone: it ends by itself, not by a signal, once its children are gone.
        assert root.wait(timeout=10) == 0
    finally:
        root.kill()
        root.wait(timeout=10)
