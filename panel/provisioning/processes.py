"""Ending a job's processes. ansible-runner stops a run by killing ansible-playbook's process
group, but Ansible starts each task's worker in a session of its own: that worker (and its ssh)
would go on running the task on a host whose lock is already free. So the whole tree below the
job's process is ended instead, found by parent links before anything dies."""

import contextlib
import os
import signal
from collections import defaultdict
from pathlib import Path


def descendants(root: int) -> list[int]:
    """Every process below ROOT."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The fields after the command name, which may hold spaces and parentheses.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children[int(fields[1])].append(int(stat.parent.name))
    found, waiting = [], [root]
    while waiting:
        for child in children.get(waiting.pop(), []):
            found.append(child)
            waiting.append(child)
    return found


def end_tree(root: int) -> None:
    """SIGKILL every process below ROOT. They are stopped first, so that none forks a child
    that escapes between the listing and the kill, and none is orphaned before it is listed."""
    stopped: set[int] = set()
    while True:
        found = set(descendants(root)) - stopped
        if not found:
            break
        for pid in found:
            _signal(pid, signal.SIGSTOP)
        stopped |= found
    for pid in stopped:
        _signal(pid, signal.SIGKILL)


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)
