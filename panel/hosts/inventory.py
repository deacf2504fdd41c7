"""The Ansible view of the host inventory: inventory JSON and the pinned known_hosts."""

from pathlib import Path

from flask import current_app
from sqlalchemy import select

from panel.config import write_private_file
from panel.extensions import db
from panel.hosts.models import Host, HostState


def known_hosts_line(host: Host) -> str:
    host_id = host.address if host.ssh_port == 22 else f"[{host.address}]:{host.ssh_port}"
    return f"{host_id} {host.host_key}"


def known_hosts_text(hosts: list[Host]) -> str:
    return "".join(known_hosts_line(host) + "\n" for host in hosts if host.host_key)


def instance_known_hosts() -> Path:
    return Path(current_app.instance_path) / "known_hosts"


def write_instance_known_hosts() -> Path:
    """The panel's own known_hosts (every pinned key), for plain ansible-playbook runs."""
    hosts = db.session.scalars(select(Host).order_by(Host.name)).all()
    path = instance_known_hosts()
    write_private_file(path, known_hosts_text(list(hosts)).encode())
    return path


def host_vars(host: Host, known_hosts: Path) -> dict:
    return {
        "ansible_host": host.address,
        "ansible_port": host.ssh_port,
        "ansible_user": "root",
        # Strict checking against the pinned keys only; nothing else is trusted.
        "ansible_ssh_common_args": (
            f"-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes"
        ),
        "panel_host_role": host.role,
    }


def inventory(hosts: list[Host], known_hosts: Path) -> dict:
    """Dynamic inventory JSON: groups by role and by the admin's groups, hostvars in _meta."""
    groups: dict[str, list[str]] = {}
    hostvars = {}
    for host in hosts:
        if host.state == HostState.RETIRED:
            continue
        hostvars[host.name] = host_vars(host, known_hosts)
        for group in [host.role, *(host.groups or [])]:
            groups.setdefault(group, []).append(host.name)
    result: dict = {"_meta": {"hostvars": hostvars}, "all": {"hosts": sorted(hostvars)}}
    for group, members in sorted(groups.items()):
        result[group] = {"hosts": sorted(members)}
    return result


def runner_inventory(hosts: list[Host], known_hosts: Path) -> dict:
    """The same inventory in Ansible's static layout, for ansible-runner, which writes it to a
    file: a file in the dynamic layout above does not parse, and Ansible would find no hosts."""
    dynamic = inventory(hosts, known_hosts)
    children = {
        group: {"hosts": dict.fromkeys(data["hosts"])}
        for group, data in dynamic.items()
        if group not in ("_meta", "all")
    }
    return {"all": {"hosts": dynamic["_meta"]["hostvars"], "children": children}}


def current_inventory() -> dict:
    hosts = db.session.scalars(select(Host).order_by(Host.name)).all()
    return inventory(list(hosts), instance_known_hosts())
