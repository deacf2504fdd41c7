"""The job launcher: a process forked from the worker before the worker starts any thread, which
forks one process per job on request and reports its exit code.

Forking a job straight from one of the worker's threads is not safe: another thread (a queue
poller, the reaper) may be inside SQLite at that moment, holding one of SQLite's own mutexes,
and the forked job then waits on that mutex forever the first time it opens its database. The
launcher has a single thread, so what it forks starts with every lock free.

Each job process ends when the launcher ends, and the launcher when the worker ends
(PR_SET_PDEATHSIG), so stopping or killing the worker also ends its jobs' playbooks."""

import ctypes
import os
import selectors
import signal
import socket
import threading
import traceback
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
REQUEST_BYTES = 32


def end_with_parent() -> None:
    """This process gets SIGTERM when the one that forked it ends."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def open_fds(selector: selectors.BaseSelector) -> list[int]:
    """The running jobs' pidfds and answer pipes."""
    return [
        fd
        for key in selector.get_map().values()
        if key.data is not None
        for fd in (key.fd, key.data[1])
    ]


class Launcher:
    """Started once in the worker's only thread; run() may then be called from any thread."""

    def __init__(self, job: Callable[[int], int]):
        self.job = job
        self.socket: socket.socket | None = None
        self.pid: int | None = None

    def start(self) -> None:
        if threading.active_count() != 1:
            raise RuntimeError("the job launcher must start before the worker's threads")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        worker = os.getpid()
        pid = os.fork()
        if pid == 0:
            ours.close()
            code = 1
            try:
                end_with_parent()
                if os.getppid() == worker:
                    self._serve(theirs)
                    code = 0
            finally:
                os._exit(code)
        theirs.close()
        self.socket, self.pid = ours, pid

    def stop(self) -> None:
        """End the launcher, and with it (PR_SET_PDEATHSIG) every job process it started."""
        if self.pid is not None:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
            self.pid = None

    def run(self, job_id: int) -> int | None:
        """Run job JOB_ID in a new process and wait for it: its exit code, or None when the
        launcher is gone."""
        if self.socket is None:
            raise RuntimeError("the job launcher is not started")
        readable, writable = os.pipe()
        try:
            socket.send_fds(self.socket, [str(job_id).encode()], [writable])
        except OSError:
            return None
        finally:
            os.close(writable)
        with os.fdopen(readable, "rb") as answer:
            code = answer.read()
        return int(code) if code else None

    def _serve(self, requests: socket.socket) -> None:
        # A Ctrl-C in the worker's terminal asks it to finish its jobs: the launcher stays.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        selector = selectors.DefaultSelector()
        selector.register(requests, selectors.EVENT_READ)
        while True:
            for key, _ in selector.select():
                if key.fileobj is requests:
                    message, fds, _, _ = socket.recv_fds(requests, REQUEST_BYTES, 1)
                    if not message:
                        return  # the worker has gone
                    inherited = [requests.fileno(), fds[0], *open_fds(selector)]
                    pid = self._fork_job(int(message), inherited)
                    child = os.pidfd_open(pid)
                    selector.register(child, selectors.EVENT_READ, (pid, fds[0]))
                else:
                    pid, answer = key.data
                    selector.unregister(key.fileobj)
                    os.close(key.fileobj)
                    _, status = os.waitpid(pid, 0)
                    os.write(answer, str(os.waitstatus_to_exitcode(status)).encode())
                    os.close(answer)

    def _fork_job(self, job_id: int, launchers_fds: list[int]) -> int:
        launcher = os.getpid()
        pid = os.fork()
        if pid != 0:
            return pid
        code = 1
        try:
            # Another job's answer pipe held open here would keep its reader waiting.
            for fd in launchers_fds:
                os.close(fd)
            end_with_parent()
            if os.getppid() == launcher:
                code = self.job(job_id)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
