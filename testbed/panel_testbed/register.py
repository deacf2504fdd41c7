"""Registering testbed hosts in the panel, pinned to the keys `up` generated for them."""

from collections.abc import Callable

from sqlalchemy import select

from panel.core.audit import acting
from panel.extensions import db
from panel.hosts import operations
from panel.hosts.models import Host, HostRole, HostState
from panel_testbed import state as saved


def register_hosts(
    state: saved.State, report: Callable[[str], None], role: str = HostRole.WEBSPACE.value
) -> None:
    """Add each host with ROLE (or re-pin a host of an earlier testbed whose name it reuses, and
    give it ROLE). Throwaway hosts get no baseline job: `panel jobs run base --hosts testbed`
    applies it."""
    with acting("cli"):
        for booted in state.hosts:
            host = db.session.scalar(select(Host).where(Host.name == booted.name))
            if host is None:
                host = operations.add_host(
                    booted.name,
                    booted.address,
                    fingerprint=booted.fingerprint,
                    ssh_port=booted.ssh_port,
                    role=role,
                    groups=["testbed"],
                    baseline=False,
                )
            elif host.fingerprint != booted.fingerprint or host.state != HostState.READY:
                host = operations.repin_host(host, booted.fingerprint, baseline=False)
            if host.role != role:
                host = operations.update_host(host, {"role": role})
            report(f"registered {host.name} ({host.role}): {host.state} {host.fingerprint}")
