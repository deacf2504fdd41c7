"""Prometheus' scrape targets from the host inventory (file_sd JSON), the panel's own, and the
bearer token Prometheus sends the host agents."""

import hashlib
import ipaddress
import json
import os
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from panel.extensions import db
from panel.hosts.models import Host, HostState


def host_targets() -> list[dict]:
    """One group per host that is not retired: its address (no port: each job adds its own)."""
    hosts = db.session.scalars(
        select(Host).where(Host.state != HostState.RETIRED).order_by(Host.name)
    )
    return [
        {"targets": [_address(host.address)], "labels": {"host": host.name, "role": host.role}}
        for host in hosts
    ]


def panel_targets(address: str) -> list[dict]:
    return [{"targets": [address], "labels": {"host": "panel"}}]


def targets_dir() -> Path:
    return Path(current_app.config["MONITORING_TARGETS_DIR"])


def write_host_targets() -> Path:
    """Rewrite hosts.json; Prometheus notices the change by itself."""
    return _write(targets_dir() / "hosts.json", host_targets())


def write_panel_targets(address: str) -> Path:
    return _write(targets_dir() / "panel.json", panel_targets(address))


def agent_token() -> str:
    """The agents' scrape token, derived from the panel's secret: the agent job hands it to the
    hosts, and panel.yml computes the same for the Prometheus it installs."""
    secret = current_app.config["SECRET_KEY"]
    return hashlib.sha256(f"panel-agent-token:{secret}".encode()).hexdigest()


def write_agent_token() -> Path:
    """targets/agent-token, which prometheus.yml names as the agent job's credentials file."""
    path = targets_dir() / "agent-token"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as out:
        out.write(agent_token() + "\n")
    os.replace(temporary, path)
    return path


def _address(address: str) -> str:
    try:
        if ipaddress.ip_address(address).version == 6:
            return f"[{address}]"
    except ValueError:
        pass
    return address


def _write(path: Path, groups: list[dict]) -> Path:
    # Prometheus may read at any moment: it sees the old file or the new one, never half.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as out:
        json.dump(groups, out, indent=2)
        out.write("\n")
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    return path
