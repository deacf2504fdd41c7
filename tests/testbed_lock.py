"""There is one testbed per lane (PANEL_TESTBED_LANE) on a machine: every test that boots one
holds the lane's lock, and turns a SIGTERM into an interrupt so that its teardown still takes the
testbed down."""

import contextlib
import fcntl
import signal
import time
from collections.abc import Iterator
from pathlib import Path

from panel_testbed import LANE

LOCK_WAIT = 1200


def lock_path(lane: int) -> Path:
    """One lock per testbed lane (PANEL_TESTBED_LANE): runs in different lanes do not wait."""
    return Path(
        "/run/panel-engine-tests.lock" if lane == 0 else f"/run/panel-engine-tests-{lane}.lock"
    )


@contextlib.contextmanager
def machine_lock(lane: int = LANE) -> Iterator[None]:
    """One testbed at a time in a lane: another test run that needs it waits for this one."""
    with lock_path(lane).open("w") as handle:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"another test run holds the testbed (waited {LOCK_WAIT} s)"
                    ) from None
                time.sleep(1)
        yield


@contextlib.contextmanager
def torn_down_on_sigterm() -> Iterator[None]:
    """A SIGTERM (`timeout` ending a run) interrupts the run like Ctrl-C, so that pytest still
    tears the testbed down instead of leaving it to block the next run."""

    def interrupt(_signal, _frame):
        raise KeyboardInterrupt("SIGTERM")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
