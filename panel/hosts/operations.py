"""Every change to the host inventory: add with a pinned key, onboard, update, retire."""

import ipaddress
import re
from pathlib import Path
from typing import Any

from blinker import Namespace
from flask import current_app
from sqlalchemy import select

from panel.core.audit import record, snapshot
from panel.core.errors import Conflict, ValidationFailed
from panel.core.models import utcnow
from panel.core.sshkey import key_paths
from panel.core.validators import clean_choice, clean_positive_int
from panel.extensions import db
from panel.hosts import ssh
from panel.hosts.inventory import write_instance_known_hosts
from panel.hosts.models import Host, HostRole, HostState
from panel.hosts.targets import write_host_targets
from panel.notifications import events

HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DNS_NAME = re.compile(rf"(?=.{{1,253}}$)({LABEL}\.)*{LABEL}")
FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")
HOST_FIELDS = ("name", "address", "ssh_port", "role", "groups", "capacity", "state", "fingerprint")
# The pending security upgrades are counted from the package lists the host has (no apt
# update: onboarding changes nothing); the ping job counts them the same way.
FACTS_COMMAND = (
    '. /etc/os-release; echo "$PRETTY_NAME"; nproc;'
    " awk '/MemTotal/ {print $2 * 1024}' /proc/meminfo;"
    " df -B1 --output=size,avail / | tail -n 1;"
    ' echo "${VERSION_CODENAME:-}"; echo "${VERSION_ID:-}";'
    " apt list --upgradable 2>/dev/null | grep -c -e '-security' || true"
)
# Sent with the host when onboarding reached it and its setup is wanted: the baseline, the agent
# and node_exporter. Provisioning, which builds on the inventory, connects the job that applies
# them; its outcome makes the host ready or failed (setup_finished).
baseline_wanted = Namespace().signal("baseline-wanted")
# Sent with the host once its release upgrade succeeded: what runs on it is set up again by the
# features that put it there, on the new release.
host_upgraded = Namespace().signal("host-upgraded")


def clean_host_name(value: Any) -> str:
    if not isinstance(value, str) or not HOST_NAME.fullmatch(value):
        raise ValidationFailed.field(
            "name", "Lowercase letters, digits and inner hyphens, at most 63 characters."
        )
    return value


def clean_address(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationFailed.field("address", "An IP address or a DNS name.")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not DNS_NAME.fullmatch(value.lower()):
        raise ValidationFailed.field("address", "An IP address or a DNS name.")
    return value.lower()


def clean_groups(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or len(value) > 20:
        raise ValidationFailed.field("groups", "At most 20 group names.")
    for group in value:
        if not isinstance(group, str) or not HOST_NAME.fullmatch(group) or "-" in group:
            raise ValidationFailed.field(
                "groups", "Group names are lowercase letters, digits and underscores."
            )
    return sorted(set(value))


def clean_fingerprint(value: Any) -> str:
    if not isinstance(value, str) or not FINGERPRINT.fullmatch(value.strip()):
        raise ValidationFailed.field("fingerprint", "A fingerprint like SHA256:… (43 characters).")
    return value.strip()


def scan(address: Any, port: Any = 22) -> ssh.HostKey:
    """The key a host offers now, for the admin to compare with the one they expect."""
    address = clean_address(address)
    port = clean_positive_int("ssh_port", port, maximum=65535)
    try:
        return ssh.scan_host_key(address, port)
    except (OSError, ssh.paramiko.SSHException) as exc:
        message = f"No SSH answer from {address}:{port}: {exc}"
        raise ValidationFailed.field("address", message) from exc


def verified_key(address: str, port: int, expected: str) -> ssh.HostKey:
    """The host's key, if it is the one the admin expects; refused loudly otherwise."""
    offered = scan(address, port)
    if offered.fingerprint != expected:
        raise Conflict(
            f"HOST KEY MISMATCH: {address}:{port} offers {offered.fingerprint}, but {expected}"
            " was expected. Nothing was changed.",
            {"fingerprint": ["Does not match the host's key."]},
        )
    return offered


def add_host(
    name: Any,
    address: Any,
    *,
    fingerprint: Any,
    ssh_port: Any = 22,
    role: Any = HostRole.WEBSPACE.value,
    groups: Any = None,
    capacity: Any = 100,
    password: str | None = None,
    baseline: bool = True,
) -> Host:
    """Register a host whose key matches the fingerprint the admin confirmed, then onboard it."""
    name = clean_host_name(name)
    address = clean_address(address)
    ssh_port = clean_positive_int("ssh_port", ssh_port, maximum=65535)
    role = clean_choice("role", role, tuple(item.value for item in HostRole))
    groups = clean_groups(groups)
    capacity = clean_positive_int("capacity", capacity, maximum=1_000_000)
    expected = clean_fingerprint(fingerprint)
    if db.session.scalar(select(Host.id).where(Host.name == name)) is not None:
        raise Conflict("A host with this name exists.", {"name": ["Taken."]})
    offered = verified_key(address, ssh_port, expected)
    host = Host(
        name=name,
        address=address,
        ssh_port=ssh_port,
        role=role,
        groups=groups,
        capacity=capacity,
        host_key=offered.line,
        fingerprint=offered.fingerprint,
        state=HostState.NEW,
    )
    db.session.add(host)
    db.session.flush()
    record("host.create", host, after=snapshot(host, HOST_FIELDS))
    db.session.commit()
    write_instance_known_hosts()
    write_host_targets()
    return onboard_host(host, password=password, baseline=baseline)


def onboard_host(host: Host, password: str | None = None, baseline: bool = True) -> Host:
    """Install the panel's key (with a one-time password if given) and gather facts, then queue
    the host's setup job (baseline, agent, node_exporter), which makes it ready. BASELINE false
    skips the setup and makes the host ready at once, unmonitored: for throwaway test hosts
    only (`panel testbed up --no-setup`)."""
    before = snapshot(host, HOST_FIELDS)
    try:
        client = ssh.connect(
            host.address, host.ssh_port, ssh.HostKey.from_line(host.host_key), password=password
        )
        try:
            if password:
                _install_panel_key(client)
            host.facts = _facts(ssh.run(client, FACTS_COMMAND))
        finally:
            client.close()
    except ssh.HostKeyMismatch as exc:
        _mark_unreachable(host, f"HOST KEY MISMATCH: {exc}", before)
        raise Conflict(f"HOST KEY MISMATCH: {exc}") from exc
    except (OSError, ssh.paramiko.SSHException, RuntimeError) as exc:
        _mark_unreachable(host, f"onboarding failed: {exc}", before)
        return host
    host.state = HostState.ONBOARDING if baseline else HostState.READY
    host.state_reason = ""
    host.last_seen_at = utcnow()
    if not baseline:
        host.onboarded_at = host.last_seen_at
    record("host.onboard", host, before=before, after=snapshot(host, HOST_FIELDS))
    db.session.commit()
    if baseline:
        baseline_wanted.send(host)
    return host


def setup_started(host: Host) -> None:
    """The host's setup job runs again (a retry); the caller commits."""
    _move(host, HostState.ONBOARDING)


def setup_finished(host: Host, reason: str | None) -> None:
    """The outcome of the host's setup job: ready, or failed with REASON; the caller commits."""
    if reason is not None:
        _move(host, HostState.FAILED, reason)
    elif _move(host, HostState.READY):
        host.onboarded_at = utcnow()


def drain(host: Host, reason: str) -> None:
    """Hold the host back from new webspaces while maintenance runs; the caller commits."""
    _move(host, HostState.MAINTENANCE, reason, "host.drain")


def maintenance_finished(host: Host, reason: str | None) -> None:
    """The outcome of the maintenance that drained the host: ready again, or kept drained with
    REASON until a retry succeeds; the caller commits."""
    if reason is None:
        _move(host, HostState.READY)
    else:
        _move(host, HostState.MAINTENANCE, reason)


def _move(host: Host, state: HostState, reason: str = "", action: str = "host.state") -> bool:
    """The host in STATE for REASON, audited as ACTION; a retired host stays retired (False)."""
    if host.state == HostState.RETIRED:
        return False
    before = snapshot(host, HOST_FIELDS)
    host.state, host.state_reason = state, reason[:2000]
    record(action, host, before=before, after=snapshot(host, HOST_FIELDS))
    return True


def _mark_unreachable(host: Host, reason: str, before: dict) -> None:
    host.state = HostState.UNREACHABLE
    host.state_reason = reason[:2000]
    record("host.unreachable", host, before=before, after=snapshot(host, HOST_FIELDS))
    # Only a host in service: whoever onboards a new one sees the outcome on the spot.
    if before["state"] != HostState.UNREACHABLE and host.onboarded_at is not None:
        events.host_unreachable(host.id, host.name, host.state_reason)
    db.session.commit()


def _install_panel_key(client) -> None:
    public = key_paths(Path(current_app.instance_path))[1].read_text().split()
    line = f"{public[0]} {public[1]} panel"
    ssh.run(client, "umask 077; mkdir -p ~/.ssh; touch ~/.ssh/authorized_keys")
    existing = ssh.run(client, "cat ~/.ssh/authorized_keys")
    if public[1] not in existing:
        stdin, stdout, _ = client.exec_command("cat >> ~/.ssh/authorized_keys")
        stdin.write(line + "\n")
        stdin.channel.shutdown_write()
        stdout.channel.recv_exit_status()


def _facts(output: str) -> dict:
    lines = output.strip().splitlines()
    size, avail = [*lines[3].split(), "0", "0"][:2]
    facts = {
        "os": lines[0],
        "cpus": int(lines[1]),
        "memory_bytes": int(float(lines[2])),
        "disk_bytes": int(size),
        "disk_free_bytes": int(avail),
    }
    release, version, pending = [*lines[4:7], "", "", ""][:3]
    return {
        **facts,
        **_release_facts(
            {"release": release, "release_version": version, "security_updates": pending}
        ),
    }


def repin_host(
    host: Host, fingerprint: Any, password: str | None = None, baseline: bool = True
) -> Host:
    """Pin a new host key after the host was reinstalled; the admin confirms the new
    fingerprint, which must be what the host offers now."""
    offered = verified_key(host.address, host.ssh_port, clean_fingerprint(fingerprint))
    before = snapshot(host, HOST_FIELDS)
    host.host_key, host.fingerprint = offered.line, offered.fingerprint
    if host.state == HostState.RETIRED:
        host.state = HostState.NEW
    record("host.repin", host, before=before, after=snapshot(host, HOST_FIELDS))
    db.session.commit()
    write_instance_known_hosts()
    write_host_targets()
    return onboard_host(host, password=password, baseline=baseline)


def update_host(host: Host, data: dict[str, Any]) -> Host:
    before = snapshot(host, HOST_FIELDS)
    if "role" in data:
        host.role = clean_choice("role", data["role"], tuple(item.value for item in HostRole))
    if "groups" in data:
        host.groups = clean_groups(data["groups"])
    if "capacity" in data:
        host.capacity = clean_positive_int("capacity", data["capacity"], maximum=1_000_000)
    record("host.update", host, before=before, after=snapshot(host, HOST_FIELDS))
    db.session.commit()
    write_host_targets()
    return host


def retire_host(host: Host) -> Host:
    if host.state == HostState.RETIRED:
        raise Conflict("This host is already retired.")
    before = snapshot(host, HOST_FIELDS)
    host.state = HostState.RETIRED
    record("host.retire", host, before=before, after=snapshot(host, HOST_FIELDS))
    db.session.commit()
    write_host_targets()
    return host


def mark_seen(host_name: str, reachable: bool, reason: str = "") -> None:
    """The outcome of a job for a host's state; the caller commits."""
    host = db.session.scalar(select(Host).where(Host.name == host_name))
    if host is None or host.state == HostState.RETIRED:
        return
    before = snapshot(host, HOST_FIELDS)
    if reachable:
        host.last_seen_at = utcnow()
        # Back to ready only if it was set up: a host onboarding never reached stays as it is.
        if host.state == HostState.UNREACHABLE and host.onboarded_at is not None:
            host.state, host.state_reason = HostState.READY, ""
    else:
        host.state, host.state_reason = HostState.UNREACHABLE, reason[:2000]
    if before["state"] != host.state:
        record("host.state", host, before=before, after=snapshot(host, HOST_FIELDS))
        if host.state == HostState.UNREACHABLE:
            events.host_unreachable(host.id, host.name, host.state_reason)


FACT_KEYS = {"os": str, "cpus": int, "memory_bytes": int, "disk_bytes": int, "disk_free_bytes": int}
RELEASE_KEYS = {"release": str, "release_version": str, "security_updates": int}


def _typed(values: dict, kinds: dict) -> dict:
    """The values of KINDS' keys, each of its type; those of the wrong type are left out."""
    typed = {}
    for key, kind in kinds.items():
        try:
            typed[key] = kind(values[key])
        except (KeyError, TypeError, ValueError):
            continue
    return typed


def _release_facts(values: dict) -> dict:
    """The release and the count of pending security upgrades, with the time of the count."""
    facts = {key: value for key, value in _typed(values, RELEASE_KEYS).items() if value != ""}
    if "security_updates" in facts:
        facts["security_checked_at"] = utcnow().isoformat()
    return facts


def record_facts(reported: dict) -> None:
    """Host facts a ping job reported (set_stats `hosts`), for hosts it reached; the caller
    commits. Values of the wrong type are left out rather than stored."""
    for name, values in (reported or {}).items():
        host = db.session.scalar(select(Host).where(Host.name == str(name)))
        if host is None or not isinstance(values, dict):
            continue
        facts = {**_typed(values, FACT_KEYS), **_release_facts(values)}
        if facts:
            host.facts = {**(host.facts or {}), **facts}
