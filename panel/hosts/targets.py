"""Prometheus' scrape targets from the host inventory (file_sd JSON), the panel's own, and each
host agent's scrape token."""

import hashlib
import hmac
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


def agent_targets() -> list[dict]:
    """host_targets() with each host's agent token as the hidden label `__param_token`, which
    Prometheus sends as the URL parameter `token` to that target alone."""
    groups = host_targets()
    for group in groups:
        group["labels"]["__param_token"] = agent_token(group["labels"]["host"])
    return groups


def panel_targets(address: str) -> list[dict]:
    return [{"targets": [address], "labels": {"host": "panel"}}]


def targets_dir() -> Path:
    return Path(current_app.config["MONITORING_TARGETS_DIR"])


def write_host_targets() -> Path:
    """Rewrite hosts.json and agents.json; Prometheus notices the change by itself."""
    _write(targets_dir() / "agents.json", agent_targets(), mode=0o640)
    return _write(targets_dir() / "hosts.json", host_targets())


def write_panel_targets(address: str) -> Path:
    return _write(targets_dir() / "panel.json", panel_targets(address))


def agent_token(host_name: str) -> str:
    """The scrape token of HOST_NAME's agent: an HMAC of the name keyed with the panel's secret,
    so one host's token opens no other host's agent. The agent job hands it to the host; the
    agent job's targets (agents.json) give it to Prometheus."""
    secret = current_app.config["SECRET_KEY"].encode()
    message = f"panel-agent-token:{host_name}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _address(address: str) -> str:
    try:
        if ipaddress.ip_address(address).version == 6:
            return f"[{address}]"
    except ValueError:
        pass
    return address


def _write(path: Path, groups: list[dict], mode: int = 0o644) -> Path:
    # Prometheus may read at any moment: it sees the old file or the new one, never half. A
    # file with tokens (0640) is readable by the folder's group, Prometheus' in production.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as out:
        json.dump(groups, out, indent=2)
        out.write("\n")
    os.chmod(temporary, mode)
    os.replace(temporary, path)
    return path
