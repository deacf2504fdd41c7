"""Benchmark: the rows of bench_scale one request at a time, in this process (Flask's test
client, no server, no load generator), on a database bench_scale seeded and kept.

wrk's figures on this 2-core machine move between runs by more than most changes do; a single
request's time in one process is steadier. Prints each row's best time per request (of RUNS
rounds of REQUESTS) and its throughput as a share of /healthz's, which is the baseline of the
same run: a row at 0.5 costs twice /healthz.

Run: `.venv/bin/python -m tests.bench.bench_pages --url URL` (the URL `bench_scale --keep` printed);
`--only TEXT` times only the rows whose name contains TEXT (and /healthz).
"""

import argparse
import os
import sys
import tempfile
import time

import pyotp

from tests.bench.bench_scale import (
    ADMIN_EMAIL,
    MEMBER_EMAIL,
    PASSWORD,
    ROWS,
    SECRET_KEY,
    csrf_of,
    filled,
    load_seed_answer,
)

RUNS = 6
REQUESTS = 40
# An admin's code is taken once: a second login in its 30 s window waits for the next code.
CODE_TIMEOUT = 40


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a database bench_scale seeded (--keep)")
    parser.add_argument("--only", default="", help="time only rows whose name contains this")
    arguments = parser.parse_args()
    data = load_seed_answer(arguments.url)
    os.environ.update(
        PANEL_DATABASE_URL=arguments.url,
        PANEL_SECRET_KEY=SECRET_KEY,
        PANEL_INSTANCE=tempfile.mkdtemp(prefix="panel-bench-pages-"),
    )
    from panel import create_app

    app = create_app()
    clients = {
        "anyone": (app.test_client(), {}),
        "admin api": (app.test_client(), {"Authorization": f"Bearer {data['admin_token']}"}),
        "member api": (app.test_client(), {"Authorization": f"Bearer {data['member_token']}"}),
        "admin page": (logged_in(app, ADMIN_EMAIL, data["admin_secret"]), {}),
        "member page": (logged_in(app, MEMBER_EMAIL), {}),
    }
    print(f"\nbest of {RUNS} × {REQUESTS} requests, one at a time, in-process\n")
    print("| endpoint | ms per request | rps ÷ /healthz |")
    print("|---|---|---|")
    baseline = None
    for name, path, who in ROWS:
        if baseline is not None and arguments.only not in name:
            continue
        client, headers = clients[who]
        took = best_time(client, filled(path, data), headers)
        baseline = baseline or took
        print(f"| {name} | {took * 1000:.1f} | {baseline / took:.2f} |", flush=True)
    return 0


def best_time(client, path: str, headers: dict) -> float:
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, f"{path}: {answer.status_code}"
    rounds = []
    for _ in range(RUNS):
        began = time.perf_counter()
        for _ in range(REQUESTS):
            client.get(path, headers=headers)
        rounds.append((time.perf_counter() - began) / REQUESTS)
    return min(rounds)


def logged_in(app, email: str, totp_secret: str = ""):
    """A test client with a session that went through the login form (and its code)."""
    client = app.test_client()
    form = client.get("/login").text
    answer = client.post(
        "/login",
        data={"csrf_token": csrf_of(form), "email": email, "password": PASSWORD},
        follow_redirects=True,
    )
    if totp_secret:
        answer = _second_step(client, answer.text, pyotp.TOTP(totp_secret))
    assert not answer.request.path.startswith("/login"), f"login as {email} failed"
    return client


def _second_step(client, form: str, totp: pyotp.TOTP):
    deadline = time.monotonic() + CODE_TIMEOUT
    refused = None
    while time.monotonic() < deadline:
        code = totp.now()
        if code != refused:
            answer = client.post(
                "/login/code",
                data={"csrf_token": csrf_of(form), "code": code},
                follow_redirects=True,
            )
            if not answer.request.path.startswith("/login"):
                return answer
            refused, form = code, answer.text
        time.sleep(0.5)
    raise RuntimeError("no code was accepted within the deadline")


if __name__ == "__main__":
    sys.exit(main())
