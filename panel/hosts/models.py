from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from panel.core.models import Base, CreatedAt, one_of
from panel.hosts.releases import SecurityState, security_state


class HostRole(StrEnum):
    WEBSPACE = "webspace"
    MANAGED = "managed"
    BBB = "bbb"
    BBB_LB = "bbb-lb"


class HostState(StrEnum):
    """A host is ready (takes webspaces) once it is monitored and metered: onboarding reads it,
    then its setup job (baseline, agent, node_exporter) runs; failed: that job failed.
    maintenance: drained for a release upgrade, it takes no new webspaces until that succeeded."""

    NEW = "new"
    ONBOARDING = "onboarding"
    READY = "ready"
    FAILED = "failed"
    MAINTENANCE = "maintenance"
    UNREACHABLE = "unreachable"
    RETIRED = "retired"


class Host(CreatedAt, Base):
    __tablename__ = "hosts"
    __table_args__ = (
        one_of("role", HostRole),
        one_of("state", HostState),
        CheckConstraint("ssh_port BETWEEN 1 AND 65535", name="ssh_port"),
        CheckConstraint("capacity >= 0", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    address: Mapped[str] = mapped_column(String(253))
    ssh_port: Mapped[int] = mapped_column(default=22)
    role: Mapped[str] = mapped_column(String(16), default=HostRole.WEBSPACE)
    groups: Mapped[list] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(default=100)
    state: Mapped[str] = mapped_column(String(16), default=HostState.NEW)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    host_key: Mapped[str] = mapped_column(Text, default="")
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    onboarded_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]

    @property
    def security(self) -> SecurityState:
        return security_state(self.facts)

    def __repr__(self) -> str:
        return f"<Host {self.name} {self.address}>"
