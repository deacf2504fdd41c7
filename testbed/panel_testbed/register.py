"""Registering testbed hosts in the panel, pinned to the keys `up` generated for them."""

from collections.abc import Callable

from sqlalchemy import select

from panel.core.audit import acting
from panel.extensions import db
from panel.hosts import operations
from panel.hosts.models import Host, HostState
from panel_testbed import state as saved


def register_hosts(state: saved.State, report: Callable[[str], None]) -> None:
    """Add each host (or re-pin a host of an earlier testbed whose name it reuses). Throwaway
    hosts get no baseline job: `panel jobs run base --hosts testbed` applies it."""
    with acting("cli"):
        for booted in state.hosts:
            host = db.session.scalar(select(Host).where(Host.name == booted.name))
            if host is None:
                host = operations.add_host(
                    booted.name,
                    booted.address,
                    fingerprint=booted.fingerprint,
                    ssh_port=booted.ssh_port,
                    groups=["testbed"],
                    baseline=False,
                )
            elif host.fingerprint != booted.fingerprint or host.state != HostState.READY:
                host = operations.repin_host(host, booted.fingerprint, baseline=False)
            report(f"registered {host.name}: {host.state} {host.fingerprint}")
