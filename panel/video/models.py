"""Video: the BigBlueButton servers behind BBBLB, each member's BBBLB tenant (its own API
endpoint and secret on the cluster), and the rooms members hold meetings in.

BBBLB keeps the cluster's live state; the panel keeps what BBBLB should be told (servers with
their secrets and whether they take new meetings, tenants with realm, secret and limits) and
hands all of it to BBBLB in one state job (playbooks/bbblb-state.yml) after each change."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.models import Base, CreatedAt, one_of
from panel.core.secrets import EncryptedText


class SyncState(StrEnum):
    """Whether BBBLB has been told: pending until the state job succeeds, failed with its
    reason (and a retry) otherwise."""

    PENDING = "pending"
    ACTIVE = "active"
    FAILED = "failed"


class BbbServer(CreatedAt, Base):
    """A BigBlueButton server BBBLB places meetings on; `enabled` false: cordoned (it takes no
    new meetings, running ones go on)."""

    __tablename__ = "bbb_servers"
    __table_args__ = (one_of("state", SyncState),)
    office_only = True

    id: Mapped[int] = mapped_column(primary_key=True)
    # As BBBLB names it: the API is https://<domain>/bigbluebutton/api/.
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    secret: Mapped[str] = mapped_column(EncryptedText)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    host_id: Mapped[int | None] = mapped_column(ForeignKey("hosts.id"))
    state: Mapped[str] = mapped_column(String(12), default=SyncState.PENDING)
    state_reason: Mapped[str] = mapped_column(String(2000), default="")
    last_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))

    host = relationship("Host")
    last_job = relationship("Job", foreign_keys=[last_job_id])

    @property
    def owner_member_id(self) -> int | None:
        return None


class VideoTenant(CreatedAt, Base):
    """A member's tenant on BBBLB: BBB's API at https://<realm>/bigbluebutton/api/ with its own
    secret, seeing only its own meetings and recordings. Admins set its limits; the member may
    end it (once its rooms are gone) and set it up again."""

    __tablename__ = "video_tenants"
    __table_args__ = (one_of("state", SyncState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    # BBBLB's tenant name: the member's prefix.
    name: Mapped[str] = mapped_column(String(40), unique=True)
    realm: Mapped[str] = mapped_column(String(255), unique=True)
    secret: Mapped[str] = mapped_column(EncryptedText)
    max_participants: Mapped[int | None] = mapped_column(Integer)
    max_duration_minutes: Mapped[int | None] = mapped_column(Integer)
    recording_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(12), default=SyncState.PENDING)
    state_reason: Mapped[str] = mapped_column(String(2000), default="")
    last_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    secret_rotated_at: Mapped[datetime | None]
    # Set when the member ended its video service: BBBLB keeps the tenant, disabled, so that
    # its meetings' statistics stay; setting video up again clears it.
    ended_at: Mapped[datetime | None]

    member = relationship("Member")
    last_job = relationship("Job", foreign_keys=[last_job_id])


class Room(CreatedAt, Base):
    """A meeting room: its owner starts it, members it is shared with too; guests open its
    public link and join as viewers once it runs."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("video_tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The friendly URL: /r/<slug>.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    # BBB's meetingID: random, never shown to guests, so that a room's URL does not reveal it.
    meeting_id: Mapped[str] = mapped_column(String(64), unique=True)
    viewer_code: Mapped[str | None] = mapped_column(EncryptedText)
    moderator_code: Mapped[str | None] = mapped_column(EncryptedText)
    record: Mapped[bool] = mapped_column(Boolean, default=False)
    mute_on_start: Mapped[bool] = mapped_column(Boolean, default=False)
    waiting_room: Mapped[bool] = mapped_column(Boolean, default=False)
    anyone_can_start: Mapped[bool] = mapped_column(Boolean, default=False)
    all_moderators: Mapped[bool] = mapped_column(Boolean, default=False)
    max_participants: Mapped[int | None] = mapped_column(Integer)

    member = relationship("Member")
    tenant = relationship("VideoTenant")
    shares = relationship(
        "RoomShare", back_populates="room", cascade="all, delete-orphan", order_by="RoomShare.id"
    )


class RoomShare(CreatedAt, Base):
    """A room shared with another member, whose users may start it and join as moderators."""

    __tablename__ = "room_shares"
    __table_args__ = (UniqueConstraint("room_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    # Only the room's owner changes shares: the row belongs to the room's member.
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)

    room = relationship("Room", back_populates="shares")
    member = relationship("Member")

    @property
    def owner_member_id(self) -> int | None:
        return self.room.member_id
