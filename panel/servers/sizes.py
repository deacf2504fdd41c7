"""The sizes of managed servers (PANEL_SERVER_SIZES), and which pool hosts meet one."""

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from panel.core.errors import ValidationFailed
from panel.hosts.models import Host

MIB = 1024**2
GIB = 1024**3


@dataclass(frozen=True)
class Size:
    name: str
    cpus: int
    memory_mib: int
    disk_gib: int
    sudo: bool
    # Inclusive (lowest, highest) ranges of the ports the server's firewall may open.
    ports: tuple[tuple[int, int], ...]

    def allows_port(self, port: int) -> bool:
        return any(low <= port <= high for low, high in self.ports)

    @property
    def ports_text(self) -> str:
        return ", ".join(str(low) if low == high else f"{low}-{high}" for low, high in self.ports)

    def fits(self, host: Host) -> bool:
        """Whether the host's facts (as onboarding and the ping job read them) meet the size;
        a host without them meets none."""
        facts = host.facts or {}
        needs = {
            "cpus": self.cpus,
            "memory_bytes": self.memory_mib * MIB,
            "disk_bytes": self.disk_gib * GIB,
        }
        return all(
            isinstance(facts.get(key), int) and facts[key] >= need for key, need in needs.items()
        )


def sizes() -> dict[str, Size]:
    """The configured sizes by name, in their order."""
    return {
        name: Size(
            name=name,
            cpus=size["cpus"],
            memory_mib=size["memory_mib"],
            disk_gib=size["disk_gib"],
            sudo=size["sudo"],
            ports=tuple((low, high) for low, high in size["ports"]),
        )
        for name, size in current_app.config["SERVER_SIZES"].items()
    }


def size_named(field: str, value: Any) -> Size:
    known = sizes()
    if not isinstance(value, str) or value not in known:
        raise ValidationFailed.field(
            field, _l("No such size; choose one of: %(sizes)s.", sizes=", ".join(known))
        )
    return known[value]
