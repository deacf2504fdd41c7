"""The job launcher, in a process of its own that plays the worker (the launcher forks, and
refuses to start where threads already run, as under pytest they may)."""

import json
import subprocess
import sys
import textwrap

import pytest

WORKER = textwrap.dedent(
    """
    import json, os, signal, sys, threading, time
    from panel.provisioning.launcher import Launcher

    held = threading.Lock()
    STARTED = f"/tmp/launcher-test-{os.getpid()}"

    def job(job_id):
        if job_id == 0:
            # The lock a thread of the worker holds while the job is forked.
            return 0 if held.acquire(timeout=5) else 9
        if job_id == 99:
            os.kill(os.getppid(), signal.SIGKILL)
            time.sleep(5)
        if job_id == 50:
            open(STARTED, "w").close()
            time.sleep(30)
        time.sleep(0.2)
        if job_id == 7:
            raise RuntimeError("the job broke")
        return job_id

    launcher = Launcher(job)
    launcher.start()
    stopped = Launcher(job)
    stopped.start()
    ready = threading.Event()

    def hold():
        with held:
            ready.set()
            time.sleep(30)

    threading.Thread(target=hold, daemon=True).start()
    ready.wait()
    refused = ""
    try:
        Launcher(job).start()
    except RuntimeError as exc:
        refused = str(exc)
    codes = {}
    runs = [
        threading.Thread(target=lambda i=i: codes.__setitem__(i, launcher.run(i)))
        for i in (0, 3, 4, 5, 7)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    long_run = threading.Thread(target=lambda: codes.__setitem__("50", stopped.run(50)))
    long_run.start()
    deadline = time.monotonic() + 10
    while not os.path.exists(STARTED) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.remove(STARTED)
    stopped.stop()
    long_run.join(10)
    codes["stop ended the job"] = not long_run.is_alive()
    codes["99"] = launcher.run(99)
    codes["after"] = launcher.run(3)
    print(json.dumps({"codes": codes, "refused": refused}))
    sys.stdout.flush()
    os._exit(0)
    """
)


@pytest.fixture(scope="module")
def worker_run() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", WORKER], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_jobs_run_concurrently_each_reporting_its_own_exit_code(worker_run):
    codes = worker_run["codes"]
    assert [codes[str(i)] for i in (3, 4, 5)] == [3, 4, 5]
    assert codes["7"] == 1  # an exception ends the job process with 1


def test_a_job_finds_free_what_the_workers_threads_hold(worker_run):
    """Forked straight from a worker thread, the job would inherit the held lock and wait on it
    (as it did on SQLite's mutexes); forked by the launcher, it finds it free."""
    assert worker_run["codes"]["0"] == 0


def test_the_launcher_refuses_to_start_beside_threads(worker_run):
    assert "before the worker's threads" in worker_run["refused"]


def test_a_gone_launcher_is_reported_and_not_waited_for(worker_run):
    codes = worker_run["codes"]
    assert codes["99"] is None
    assert codes["after"] is None


def test_stopping_the_launcher_ends_its_running_jobs(worker_run):
    codes = worker_run["codes"]
    assert codes["stop ended the job"] is True
    assert codes["50"] is None
