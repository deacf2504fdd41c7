"""A managed server: one whole pool host (role `managed`) that a reseller runs for one of its
customers, with the unix users, SSH keys and open ports the panel keeps on it.

The server's `state` is what the host has as far as the panel knows, `desired` what its last
job was asked to reach (server.yml: active; server-release.yml: released). Users, keys and
ports are the desired state itself: each change re-runs server.yml with all of them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.models import Base, CreatedAt, one_of


class ServerState(StrEnum):
    REQUESTED = "requested"
    PENDING = "pending"
    ACTIVE = "active"
    FAILED = "failed"
    RELEASING = "releasing"
    RELEASED = "released"


class ServerDesired(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"


class ReleaseMode(StrEnum):
    ARCHIVE = "archive"
    WIPE = "wipe"


class Stack(StrEnum):
    WEB = "web"
    MARIADB = "mariadb"
    POSTGRESQL = "postgresql"


class Proto(StrEnum):
    TCP = "tcp"
    UDP = "udp"


# A server holds its host from its allocation until it is released: one live server per host.
HOLDS_HOST = "host_id IS NOT NULL AND state != 'released'"


class Server(CreatedAt, Base):
    __tablename__ = "servers"
    __table_args__ = (
        one_of("state", ServerState),
        one_of("desired", ServerDesired),
        one_of("release_mode", ReleaseMode),
        Index(
            "ix_servers_host_id",
            "host_id",
            unique=True,
            sqlite_where=sql(HOLDS_HOST),
            postgresql_where=sql(HOLDS_HOST),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The reseller's member runs (and pays for) the server; the reseller's login manages it;
    # the customer uses it.
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    size: Mapped[str] = mapped_column(String(32))
    stacks: Mapped[list] = mapped_column(JSON, default=list)
    host_id: Mapped[int | None] = mapped_column(ForeignKey("hosts.id"))
    state: Mapped[str] = mapped_column(String(12), default=ServerState.REQUESTED)
    desired: Mapped[str] = mapped_column(String(12), default=ServerDesired.ACTIVE)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    last_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    # From the allocation of its host to the release's success: what usage metering will count.
    allocated_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    release_mode: Mapped[str | None] = mapped_column(String(8))
    # The archive's file name in the instance folder's server-archives/<id>/, until purged.
    archive_file: Mapped[str | None] = mapped_column(String(255))
    archive_purge_after: Mapped[datetime | None]

    member = relationship("Member")
    reseller = relationship("User", foreign_keys=[reseller_id])
    customer = relationship("User", foreign_keys=[customer_id])
    host = relationship("Host")
    last_job = relationship("Job", foreign_keys=[last_job_id])
    users = relationship(
        "ServerUser",
        back_populates="server",
        order_by="ServerUser.name",
        cascade="all, delete-orphan",
    )
    ports = relationship(
        "ServerPort",
        back_populates="server",
        order_by="ServerPort.port",
        cascade="all, delete-orphan",
    )

    @property
    def owner_reseller_id(self) -> int:
        return self.reseller_id

    @property
    def viewer_user_id(self) -> int:
        """The customer, which also reads the server's jobs (provisioning.resources)."""
        return self.customer_id

    @classmethod
    def served_to(cls, user_id: int) -> ColumnElement[bool]:
        """The condition for the servers (and so the jobs) a customer reads: its own."""
        return cls.customer_id == user_id

    @property
    def hostname(self) -> str:
        return f"srv{self.id}"

    def __repr__(self) -> str:
        return f"<Server {self.id} {self.state}>"


class ServerPart:
    """Users, keys and ports belong to whoever owns their server."""

    @property
    def owner_member_id(self) -> int:
        return self.owning_server.member_id

    @property
    def owner_user_id(self) -> int:
        return self.owning_server.customer_id

    @property
    def owner_reseller_id(self) -> int:
        return self.owning_server.reseller_id


class ServerUser(CreatedAt, ServerPart, Base):
    """A unix login on the server, with a home, bash and public keys only."""

    __tablename__ = "server_users"
    __table_args__ = (UniqueConstraint("server_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    sudo: Mapped[bool] = mapped_column(default=False)

    server = relationship("Server", back_populates="users")
    keys = relationship(
        "ServerKey", back_populates="user", order_by="ServerKey.id", cascade="all, delete-orphan"
    )

    @property
    def owning_server(self) -> Server:
        return self.server


class ServerKey(CreatedAt, ServerPart, Base):
    """An OpenSSH public key of a server user: the line as written to authorized_keys."""

    __tablename__ = "server_keys"
    __table_args__ = (UniqueConstraint("server_user_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_user_id: Mapped[int] = mapped_column(
        ForeignKey("server_users.id", ondelete="CASCADE"), index=True
    )
    public_key: Mapped[str] = mapped_column(Text)
    # SHA256:<base64>, as ssh-keygen -l shows it.
    fingerprint: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(String(100), default="")

    user = relationship("ServerUser", back_populates="keys")

    @property
    def owning_server(self) -> Server:
        return self.user.server


class ServerPort(CreatedAt, ServerPart, Base):
    """A port the server's firewall lets in from anywhere."""

    __tablename__ = "server_ports"
    __table_args__ = (
        UniqueConstraint("server_id", "port", "proto"),
        CheckConstraint("port BETWEEN 1 AND 65535", name="port"),
        one_of("proto", Proto),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"), index=True)
    port: Mapped[int]
    proto: Mapped[str] = mapped_column(String(3))

    server = relationship("Server", back_populates="ports")

    @property
    def owning_server(self) -> Server:
        return self.server
