import itertools

import pytest
from server_support import settle

from panel.accounts.operations import create_user
from panel.coop.operations import record_share_transaction
from panel.core.audit import acting
from panel.core.roles import Role
from panel.extensions import db
from panel.hosts.models import HostRole
from panel.servers import operations

MIB = 1024**2
GIB = 1024**3


@pytest.fixture
def make_pool_host(make_host):
    """A ready host of the managed pool with facts of the given size."""
    counter = itertools.count(1)

    def make(cpus: int = 8, memory_mib: int = 32768, disk_gib: int = 500, **given):
        host = make_host(f"pool{next(counter)}", **given)
        host.role = HostRole.MANAGED
        host.facts = {
            "cpus": cpus,
            "memory_bytes": memory_mib * MIB,
            "disk_bytes": disk_gib * GIB,
        }
        db.session.commit()
        return host

    return make


@pytest.fixture
def make_reseller(make_user):
    """A reseller holding SHARES cooperative shares, and one customer of it."""

    def make(shares: int = 10):
        reseller = make_user(Role.RESELLER)
        if shares:
            with acting("cli"):
                record_share_transaction(reseller.member, "subscription", shares, "2025-01-01")
        with acting("cli"):
            customer = create_user(
                f"customer-of-{reseller.id}@example.org", Role.CUSTOMER, reseller=reseller
            )
        return reseller, customer

    return make


@pytest.fixture
def make_server(make_pool_host, make_reseller, app):
    """An active server (requested, approved onto a new pool host, set up) of a new reseller's
    customer, or of the given reseller and customer."""

    def make(size: str = "medium", stacks=("web",), reseller=None, customer=None):
        if reseller is None:
            reseller, customer = make_reseller()
        make_pool_host()
        with acting("cli", reseller):
            server, _ = operations.request_server(reseller, customer.id, size, list(stacks))
        with acting("cli"):
            _, job = operations.approve_server(server)
        settle(job)
        return server

    return make
