"""Waiting for a condition with a deadline: the tests' one way to wait."""

import time
from collections.abc import Callable


def poll(check: Callable[[], object], timeout: float, message: str, interval: float = 0.1):
    """CHECK's first truthy answer; fails with MESSAGE when none comes before the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (waited {timeout} s)")
        time.sleep(interval)
