"""The Prometheus `panel run` starts when PANEL_PROMETHEUS_URL is not set: Debian's binary with
the configuration in monitoring/, its data in the instance folder, listening on loopback. While it
runs, its address is in the instance folder, so that commands run beside `panel run` (`panel
metering collect`) read the same Prometheus without a setting."""

import json
import os
import shutil
import subprocess  # nosec B404  # starts Debian's prometheus, no shell
import urllib.request
from pathlib import Path

from flask import current_app

from panel.hosts.targets import write_host_targets, write_panel_targets

BINARY = "/usr/bin/prometheus"


def folder() -> Path:
    return Path(current_app.instance_path) / "prometheus"


def prepare(panel_address: str) -> Path:
    """The instance's copy of monitoring/ (refreshed on every start) and its targets, the
    agents' tokens among them."""
    source = Path(current_app.config["MONITORING_DIR"])
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "prometheus.yml", target / "prometheus.yml")
    shutil.copytree(source / "rules", target / "rules", dirs_exist_ok=True)
    write_panel_targets(panel_address)
    write_host_targets()
    return target / "prometheus.yml"


def start(panel_address: str, binary: str = BINARY) -> subprocess.Popen | None:
    """Start it and return the process; None (metering stays off) where Prometheus is missing."""
    if not Path(binary).exists():
        return None
    config = prepare(panel_address)
    listen = current_app.config["PROMETHEUS_LISTEN"]
    return subprocess.Popen(  # nosec B603  # Debian's prometheus, arguments of our own
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={folder() / 'data'}",
            f"--web.listen-address={listen}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
    )


def url() -> str:
    return f"http://{current_app.config['PROMETHEUS_LISTEN']}"


def address_file() -> Path:
    return folder() / "running.json"


def announce(process: subprocess.Popen) -> Path:
    """Record the running Prometheus' address and process for commands of this instance."""
    path = address_file()
    path.write_text(json.dumps({"url": url(), "pid": process.pid}))
    return path


def running_url() -> str | None:
    """The address of the Prometheus a `panel run` of this instance started, while it runs."""
    try:
        announced = json.loads(address_file().read_text())
        url, pid = str(announced["url"]), int(announced["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        # Another user's process with that number: a `panel run` under the service account.
        pass
    return url


def ready(address: str, timeout: float = 1.0) -> bool:
    try:
        # Bandit B310, a false positive: the local Prometheus this module started, http.
        with urllib.request.urlopen(f"{address}/-/ready", timeout=timeout) as response:  # noqa: S310  # nosec B310
            return response.status == 200
    except OSError:
        return False
