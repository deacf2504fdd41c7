"""`panel run`'s local Prometheus, `panel monitoring targets` and `panel metering collect`, each
on an instance folder and SQLite file of its own."""

import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest
from click.testing import CliRunner
from polling import poll
from prometheus_support import free_port

from panel import create_app
from panel.cli import main
from panel.extensions import db
from panel.hosts.models import Host
from panel.hosts.targets import write_host_targets


@pytest.fixture(autouse=True)
def transaction():
    """These tests open databases of their own, never the suite's shared one."""
    yield


@pytest.fixture
def env(tmp_path):
    instance = tmp_path / "instance"
    return {
        "PANEL_INSTANCE": str(instance),
        "PANEL_DATABASE_URL": f"sqlite:///{instance / 'panel.db'}",
        "PANEL_PROMETHEUS_URL": "",
        "PANEL_PROMETHEUS_LISTEN": f"127.0.0.1:{free_port()}",
    }


def panel(env, *args):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def read_json(url: str):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.load(response)
    except OSError:
        return None


def test_panel_run_meters_with_a_local_prometheus_and_stops_it(env):
    assert panel(env, "init", "--admin-password", "a long and secret passphrase").exit_code == 0
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "panel.cli", "run", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    prometheus = f"http://{env['PANEL_PROMETHEUS_LISTEN']}"
    try:

        def panel_target_up():
            answer = read_json(f"{prometheus}/api/v1/targets?state=active")
            targets = answer["data"]["activeTargets"] if answer else []
            return [t for t in targets if t["labels"]["job"] == "panel" and t["health"] == "up"]

        (target,) = poll(panel_target_up, 60, "Prometheus never scraped the panel", 0.5)
        assert target["scrapeUrl"] == f"http://127.0.0.1:{port}/metrics"
        folder = os.path.join(env["PANEL_INSTANCE"], "prometheus")
        assert os.path.exists(os.path.join(folder, "targets", "hosts.json"))
        assert os.path.isdir(os.path.join(folder, "data"))
        # Beside `panel run`, with the same instance and no PANEL_PROMETHEUS_URL: its Prometheus.
        beside = panel(
            env, "metering", "collect", "--from", "2026-01-01", "--to", "2026-01-01T01:00"
        )
        assert beside.exit_code == 0, beside.output
        assert " complete: 2026-01-01T00:00:00+00:00 to 2026-01-01T01:00" in beside.output
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0].decode()
    assert f"Prometheus for metering: {prometheus}" in output
    assert read_json(f"{prometheus}/api/v1/targets") is None
    assert not os.path.exists(os.path.join(folder, "running.json"))
    after = panel(env, "metering", "collect")
    assert after.exit_code == 1
    assert "no `panel run` of this instance" in after.output


def test_monitoring_targets_lists_the_hosts_for_file_sd(env):
    assert panel(env, "init", "--admin-password", "a long and secret passphrase").exit_code == 0
    app = create_app(
        {"INSTANCE_PATH": env["PANEL_INSTANCE"]} | {"DATABASE_URL": env["PANEL_DATABASE_URL"]}
    )
    with app.app_context():
        db.session.add_all(
            [
                Host(name="web1", address="198.18.0.2", host_key="k", fingerprint="f"),
                Host(name="web2", address="2001:db8::2", host_key="k", fingerprint="f"),
                Host(name="old", address="198.18.0.9", state="retired", host_key="k"),
            ]
        )
        db.session.commit()
        written = write_host_targets()
        db.engine.dispose()
    result = panel(env, "monitoring", "targets")
    assert result.exit_code == 0
    groups = json.loads(result.output)
    assert groups == [
        {"targets": ["198.18.0.2"], "labels": {"host": "web1", "role": "webspace"}},
        {"targets": ["[2001:db8::2]"], "labels": {"host": "web2", "role": "webspace"}},
    ]
    assert json.loads(written.read_text()) == groups


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-01-01T00:00"], "--from and --to go together"),
        (["--from", "yesterday", "--to", "today"], "not an ISO 8601 time"),
        (["--from", "2026-01-01T00:00", "--to", "2999-01-01T00:00"], "is not"),
    ],
)
def test_metering_collect_refuses_bad_ranges(env, args, message):
    env = {**env, "PANEL_PROMETHEUS_URL": "http://127.0.0.1:9"}
    assert panel(env, "init", "--admin-password", "a long and secret passphrase").exit_code == 0
    result = panel(env, "metering", "collect", *args)
    assert result.exit_code != 0
    assert message in result.output


def test_metering_collect_needs_a_prometheus(env):
    assert panel(env, "init", "--admin-password", "a long and secret passphrase").exit_code == 0
    result = panel(env, "metering", "collect")
    assert result.exit_code == 1
    assert "PANEL_PROMETHEUS_URL is not set and no `panel run` of this instance" in result.output


def test_metering_collect_ignores_the_address_of_a_stopped_panel_run(env):
    """A `panel run` killed before it could remove its announcement leaves no false address."""
    assert panel(env, "init", "--admin-password", "a long and secret passphrase").exit_code == 0
    with open("/proc/sys/kernel/pid_max") as limit:
        no_process = int(limit.read()) + 1
    folder = os.path.join(env["PANEL_INSTANCE"], "prometheus")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "running.json"), "w") as announced:
        json.dump({"url": "http://127.0.0.1:9", "pid": no_process}, announced)
    result = panel(env, "metering", "collect")
    assert result.exit_code == 1
    assert "no `panel run` of this instance" in result.output
