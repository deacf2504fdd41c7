"""Webspaces and what lives in them: domains, databases and SFTP/SSH users.

Every resource has a `state` (what the hosts have, as far as the panel knows) and a `desired`
state (what its last job was asked to reach). A job's outcome moves `state` to `desired`, or to
`failed` with the reason; see panel/webspaces/outcomes.py."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from panel.core.models import Base, CreatedAt, one_of, trigram_index
from panel.core.secrets import EncryptedText


class State(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    FAILED = "failed"
    SUSPENDED = "suspended"
    DELETING = "deleting"
    DELETED = "deleted"
    # A domain waits here until its owner has proven control over it (DNS TXT record).
    UNVERIFIED = "unverified"
    # An unverified domain another member proved control of first; state_reason says so.
    LOST = "lost"


# Only a domain claim can be lost: the other resources' checks leave it out.
PART_STATES = tuple(state for state in State if state != State.LOST)
# A domain that serves its name (or will): at most one per name, whoever holds it.
LIVE_DOMAIN = "verified_at IS NOT NULL AND state != 'deleted'"


class Desired(StrEnum):
    """What a resource's job makes of it on the host (the playbooks' *_state variable)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"
    PURGED = "purged"
    ABSENT = "absent"
    RESTORED = "restored"


class DatabaseEngine(StrEnum):
    MARIADB = "mariadb"
    POSTGRESQL = "postgresql"


class Webspace(CreatedAt, Base):
    __tablename__ = "webspaces"
    __table_args__ = (
        one_of("state", PART_STATES),
        one_of("desired", Desired),
        CheckConstraint(
            "max_domains >= 0 AND max_databases >= 0 AND max_users >= 0", name="limits"
        ),
        CheckConstraint("quota_mib > 0", name="quota"),
        trigram_index("webspaces", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    name: Mapped[str] = mapped_column(String(5), unique=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), default=State.PENDING)
    desired: Mapped[str] = mapped_column(String(12), default=Desired.ACTIVE)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    max_domains: Mapped[int]
    max_databases: Mapped[int]
    max_users: Mapped[int]
    quota_mib: Mapped[int]
    quota_enforced: Mapped[bool | None]
    uid: Mapped[int | None]
    last_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    # The reseller's customer the webspace serves: the reseller's member still owns and pays for
    # it, and sees the usage per customer. Not `customer_id`, which would hand the customer the
    # webspace itself (panel.core.access).
    customer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Set while an admin has it suspended, deleted or not: a restore brings it back suspended.
    suspended_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    purge_after: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]

    member = relationship("Member")
    host = relationship("Host")
    last_job = relationship("Job", foreign_keys=[last_job_id])
    customer = relationship("User", foreign_keys=[customer_user_id])
    domains = relationship("Domain", back_populates="webspace", order_by="Domain.name")
    databases = relationship("Database", back_populates="webspace", order_by="Database.name")
    sftp_users = relationship("SftpUser", back_populates="webspace", order_by="SftpUser.name")

    @property
    def viewer_user_id(self) -> int | None:
        return self.customer_user_id

    @classmethod
    def served_to(cls, user_id: int) -> ColumnElement[bool]:
        """The condition for the webspaces a customer reads: those serving it."""
        return cls.customer_user_id == user_id

    def __repr__(self) -> str:
        return f"<Webspace {self.name} {self.state}>"


class WebspacePart:
    """Columns every resource inside a webspace has."""

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(12), default=State.PENDING)
    desired: Mapped[str] = mapped_column(String(12), default=Desired.ACTIVE)
    state_reason: Mapped[str] = mapped_column(Text, default="")

    @property
    def viewer_user_id(self) -> int | None:
        """The customer the webspace serves reads what is in it too."""
        return self.webspace.customer_user_id

    @classmethod
    def served_to(cls, user_id: int) -> ColumnElement[bool]:
        return cls.webspace_id.in_(select(Webspace.id).where(Webspace.served_to(user_id)))


class Domain(CreatedAt, WebspacePart, Base):
    """A member's domain, or its claim on the name until it proves control (see
    panel/webspaces/claims.py): members may claim a name side by side, one claim each."""

    __tablename__ = "domains"
    __table_args__ = (
        one_of("state", State),
        one_of("desired", Desired),
        UniqueConstraint("name", "member_id"),
        Index(
            "ix_domains_name",
            "name",
            unique=True,
            sqlite_where=text(LIVE_DOMAIN),
            postgresql_where=text(LIVE_DOMAIN),
        ),
        trigram_index("domains", "name"),
    )

    webspace_id: Mapped[int] = mapped_column(ForeignKey("webspaces.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # The A-label (punycode); shown as its U-label.
    name: Mapped[str] = mapped_column(String(253))
    www_alias: Mapped[bool] = mapped_column(default=False)
    redirect: Mapped[str] = mapped_column(String(2000), default="")
    document_root: Mapped[str] = mapped_column(String(255))
    tls: Mapped[bool] = mapped_column(default=True)
    verification_token: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime | None]
    tls_not_after: Mapped[datetime | None]
    tls_error: Mapped[str] = mapped_column(Text, default="")
    tls_failures: Mapped[int] = mapped_column(default=0)
    tls_retry_at: Mapped[datetime | None]
    last_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))

    webspace = relationship("Webspace", back_populates="domains")
    last_job = relationship("Job", foreign_keys=[last_job_id])


# The webspaces list shows how many domains each has; counting them in the list's statement
# spares loading every row's domains for it.
Webspace.domain_count = column_property(
    select(func.count(Domain.id))
    .where(Domain.webspace_id == Webspace.id)
    .correlate_except(Domain)
    .scalar_subquery(),
    deferred=True,
)


class Database(CreatedAt, WebspacePart, Base):
    __tablename__ = "databases"
    __table_args__ = (
        one_of("state", PART_STATES),
        one_of("desired", Desired),
        one_of("engine", DatabaseEngine),
        UniqueConstraint("engine", "name"),
    )

    webspace_id: Mapped[int] = mapped_column(ForeignKey("webspaces.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    engine: Mapped[str] = mapped_column(String(12))
    # Database and its user share the name (abc00_shop).
    name: Mapped[str] = mapped_column(String(32))
    password: Mapped[str] = mapped_column(EncryptedText())
    # A deleted database's dump stays on the host until then.
    purge_after: Mapped[datetime | None]
    last_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))

    webspace = relationship("Webspace", back_populates="databases")
    last_job = relationship("Job", foreign_keys=[last_job_id])


class SftpUser(CreatedAt, WebspacePart, Base):
    """An SFTP/SSH login of a webspace (abc00-anna), with public keys only."""

    __tablename__ = "sftp_users"
    __table_args__ = (one_of("state", PART_STATES), one_of("desired", Desired))

    webspace_id: Mapped[int] = mapped_column(ForeignKey("webspaces.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    public_keys: Mapped[str] = mapped_column(Text)
    chroot: Mapped[bool] = mapped_column(default=False)
    last_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))

    webspace = relationship("Webspace", back_populates="sftp_users")
    last_job = relationship("Job", foreign_keys=[last_job_id])

    @property
    def keys(self) -> list[str]:
        return [line for line in self.public_keys.splitlines() if line.strip()]
