from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.models import Base, CreatedAt, one_of, utcnow
from panel.core.secrets import EncryptedText
from panel.provisioning.resources import resource_of


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESSFUL = "successful"
    FAILED = "failed"
    CANCELED = "canceled"
    LOST = "lost"


FINISHED = (JobStatus.SUCCESSFUL, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.LOST)


class Job(CreatedAt, Base):
    __tablename__ = "jobs"
    __table_args__ = (one_of("status", JobStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    playbook: Mapped[str] = mapped_column(String(128))
    resource_type: Mapped[str | None] = mapped_column(String(40))
    resource_id: Mapped[int | None]
    hosts: Mapped[list] = mapped_column(JSON, default=list)
    extra_vars: Mapped[dict] = mapped_column(JSON, default=dict)
    # Secret extra vars (passwords, keys) are stored encrypted and never shown or logged; they
    # are read (and decrypted) only where a job runs, not with every job a page lists.
    secret_vars: Mapped[str | None] = mapped_column(EncryptedText(), deferred=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=JobStatus.QUEUED, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    rc: Mapped[int | None]
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    timeout: Mapped[int] = mapped_column(default=1800)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    retry_of_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    worker_id: Mapped[str | None] = mapped_column(String(120))
    heartbeat_at: Mapped[datetime | None]
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    retry_of = relationship("Job", remote_side=[id], foreign_keys=[retry_of_id])

    @property
    def viewer_user_id(self) -> int | None:
        """Who reads the job's resource reads the job."""
        return getattr(resource_of(self), "viewer_user_id", None)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


# What a page shows of an item's last job: its number and status, not its vars and stats (JSON
# each row would decode again).
JOB_SHOWN = (Job.id, Job.status)


class JobEvent(Base):
    __tablename__ = "job_events"
    __table_args__ = (UniqueConstraint("job_id", "counter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    counter: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(64))
    host: Mapped[str | None] = mapped_column(String(63))
    task: Mapped[str | None] = mapped_column(String(255))
    changed: Mapped[bool] = mapped_column(default=False)
    failed: Mapped[bool] = mapped_column(default=False)
    stdout: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HostLock(Base):
    """Held by the job that is changing a host; one row per host makes changes to it serial."""

    __tablename__ = "host_locks"

    host: Mapped[str] = mapped_column(String(63), primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
