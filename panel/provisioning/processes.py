"""Ending a job's processes. ansible-runner stops a run by killing ansible-playbook's process
group, but Ansible starts each task's worker in a session of its own: that worker (and its ssh)
would go on running the task on a host whose lock is already free. So the whole tree below the
job's process is ended instead, found by parent links before anything dies."""

import contextlib
import os
import signal
import time
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
    _wait_until_dead(stopped)


def _wait_until_dead(pids: set[int], deadline_seconds: float = 5) -> None:
    """A killed process runs on until the kernel has torn it down; on a loaded machine that
    takes a while, and the job's lock must not be freed while its ssh is still there."""
    deadline = time.monotonic() + deadline_seconds
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    """Running, not yet a zombie (a zombie has released everything but its exit status)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)
