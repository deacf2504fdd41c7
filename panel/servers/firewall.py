"""Ports a managed server's firewall opens, within what its size allows; each change re-runs
server.yml with the server's whole desired state."""

from typing import Any

from flask_babel import lazy_gettext as _l

from panel.core.audit import snapshot
from panel.core.errors import Conflict, ValidationFailed
from panel.extensions import db
from panel.provisioning.models import Job
from panel.provisioning.operations import ensure_idle
from panel.servers.changes import apply_change, ensure_in_service
from panel.servers.models import Server, ServerPort
from panel.servers.names import clean_port, clean_proto
from panel.servers.sizes import size_named

MAX_PORTS = 100
FIELDS = ("server_id", "port", "proto")


def open_port(server: Server, port: Any, proto: Any = "tcp") -> tuple[ServerPort, Job]:
    port = clean_port("port", port)
    proto = clean_proto("proto", proto)
    size = size_named("size", server.size)
    if not size.allows_port(port):
        raise ValidationFailed.field(
            "port",
            _l(
                "The size %(size)s opens only these ports: %(ports)s.",
                size=size.name,
                ports=size.ports_text or "-",
            ),
        )
    ensure_idle(server)
    ensure_in_service(server)
    if any(item.port == port and item.proto == proto for item in server.ports):
        raise Conflict(_l("This port is open already."), {"port": [_l("Taken.")]})
    if len(server.ports) >= MAX_PORTS:
        raise Conflict(_l("A server opens at most %(count)s ports.", count=MAX_PORTS))
    opened = ServerPort(port=port, proto=proto)
    server.ports.append(opened)
    db.session.flush()
    job = apply_change(server, "server.port.open", opened, None, snapshot(opened, FIELDS))
    return opened, job


def close_port(opened: ServerPort) -> Job:
    server = opened.server
    ensure_idle(server)
    ensure_in_service(server)
    before = snapshot(opened, FIELDS)
    server.ports.remove(opened)
    return apply_change(server, "server.port.close", opened, before, None)
