"""Resolutions of the online general assembly: the motion and its amendments, the discussion,
proxies, who took part, and the ballots.

Secrecy: for a secret resolution no table links a member to a choice. `participations` says
who voted (and through whom); `ballot_choices` says what was chosen under a random receipt,
with no member, no timestamp and no sequential id. The only way back from a member to its
ballot is the receipt sealed with the instance secret in its participation row (so that a
member can change its vote and export its receipts): the database alone, a dump or a backup,
does not tell who chose what.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.models import Base, CreatedAt, one_of


class Majority(StrEnum):
    SIMPLE = "simple"
    TWO_THIRDS = "two_thirds"
    THREE_QUARTERS = "three_quarters"


class Phase(StrEnum):
    """A resolution's life: drafted by the board, announced (members see it), discussed, voted
    on, closed with its result."""

    DRAFT = "draft"
    ANNOUNCED = "announced"
    DISCUSSION = "discussion"
    VOTING = "voting"
    CLOSED = "closed"


class ItemKind(StrEnum):
    MOTION = "motion"
    AMENDMENT = "amendment"


class ItemState(StrEnum):
    """An amendment is proposed in the discussion; at the vote it is on the ballot if it found
    its supporters, else not admitted. The motion is on the ballot from the start."""

    PROPOSED = "proposed"
    ON_BALLOT = "on_ballot"
    NOT_ADMITTED = "not_admitted"
    WITHDRAWN = "withdrawn"


class Choice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class Resolution(CreatedAt, Base):
    __tablename__ = "resolutions"
    office_only = True
    __table_args__ = (
        one_of("majority", Majority),
        one_of("phase", Phase),
        CheckConstraint("quorum_percent BETWEEN 0 AND 100", name="quorum_percent"),
        CheckConstraint("min_supporters >= 0", name="min_supporters"),
        CheckConstraint(
            "discussion_from < voting_from AND voting_from < voting_until", name="phase_order"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # Markdown; rendered without raw HTML (panel.governance.markdown).
    text: Mapped[str] = mapped_column(Text)
    majority: Mapped[str] = mapped_column(String(16), default=Majority.SIMPLE)
    quorum_percent: Mapped[int] = mapped_column(default=0)
    secret: Mapped[bool] = mapped_column(default=True)
    # Members active on this day may vote.
    cutoff: Mapped[date]
    discussion_from: Mapped[datetime]
    voting_from: Mapped[datetime]
    voting_until: Mapped[datetime]
    # Supporters an amendment needs to be put to the vote.
    min_supporters: Mapped[int] = mapped_column(default=3)
    phase: Mapped[str] = mapped_column(String(12), default=Phase.DRAFT, index=True)
    # Fixed when the voting opens: the base of turnout and quorum.
    eligible_count: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    announced_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # When each mail went out, so that a phase's mail goes once however often the task runs.
    discussion_mail_at: Mapped[datetime | None]
    discussion_reminder_at: Mapped[datetime | None]
    voting_mail_at: Mapped[datetime | None]
    voting_reminder_at: Mapped[datetime | None]
    result_mail_at: Mapped[datetime | None]

    items = relationship(
        "ResolutionItem",
        back_populates="resolution",
        order_by="ResolutionItem.id",
        cascade="all, delete-orphan",
    )
    attachments = relationship(
        "Attachment",
        back_populates="resolution",
        order_by="Attachment.id",
        cascade="all, delete-orphan",
    )
    comments = relationship(
        "Comment", back_populates="resolution", order_by="Comment.id", cascade="all, delete-orphan"
    )

    @property
    def owner_member_id(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"<Resolution {self.id} {self.phase}>"


class ResolutionItem(CreatedAt, Base):
    """What is voted on: the motion (one per resolution) or an amendment proposed by a member.
    The counts are written when the resolution closes."""

    __tablename__ = "resolution_items"
    __table_args__ = (one_of("kind", ItemKind), one_of("state", ItemState))

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("resolutions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=ItemState.PROPOSED)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    yes: Mapped[int | None]
    no: Mapped[int | None]
    abstain: Mapped[int | None]
    passed: Mapped[bool | None]

    resolution = relationship(Resolution, back_populates="items")
    supports = relationship("AmendmentSupport", back_populates="item", cascade="all, delete-orphan")


class AmendmentSupport(CreatedAt, Base):
    __tablename__ = "amendment_supports"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("resolution_items.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )

    item = relationship(ResolutionItem, back_populates="supports")


class Comment(CreatedAt, Base):
    """A member's contribution to the discussion."""

    __tablename__ = "resolution_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("resolutions.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)

    resolution = relationship(Resolution, back_populates="comments")
    member = relationship("Member")


class Attachment(CreatedAt, Base):
    """A PDF the board attached to the motion."""

    __tablename__ = "resolution_attachments"
    office_only = True

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("resolutions.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    resolution = relationship(Resolution, back_populates="attachments")

    @property
    def owner_member_id(self) -> None:
        return None


class Proxy(CreatedAt, Base):
    """A member (the principal) authorises another member to vote for it on one resolution."""

    __tablename__ = "resolution_proxies"
    __table_args__ = (
        UniqueConstraint("resolution_id", "principal_id"),
        CheckConstraint("principal_id <> proxy_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("resolutions.id", ondelete="CASCADE"), index=True
    )
    principal_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    proxy_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)

    principal = relationship("Member", foreign_keys=[principal_id])
    proxy = relationship("Member", foreign_keys=[proxy_id])

    @property
    def owner_member_id(self) -> int:
        return self.principal_id


class Participation(CreatedAt, Base):
    """That a member voted (once per resolution; a changed vote updates it), and through whom.
    For a secret resolution the receipt is only here sealed (see the module's docstring)."""

    __tablename__ = "resolution_participations"
    __table_args__ = (UniqueConstraint("resolution_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("resolutions.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    # The proxy's member when a proxy voted, else None.
    cast_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    sealed_receipt: Mapped[str] = mapped_column(Text)


class BallotChoice(Base):
    """One choice on one item under a ballot's receipt. No timestamp, no sequential id; the
    member only for an open resolution. At the close the rows are rewritten in the order of
    their receipts, so that where they lie in PostgreSQL's table (and in a dump) no longer
    follows the order the ballots were cast in."""

    __tablename__ = "ballot_choices"
    # SQLite: no hidden rowid, which would number the ballots in the order cast; the rows are
    # kept in the order of their random receipts.
    __table_args__ = (one_of("choice", Choice), {"sqlite_with_rowid": False})

    receipt: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("resolution_items.id", ondelete="CASCADE"), primary_key=True
    )
    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("resolutions.id", ondelete="CASCADE"), index=True
    )
    choice: Mapped[str] = mapped_column(String(8))
    # Open resolutions only: the member whose vote this is.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))

    @property
    def owner_member_id(self) -> None:
        return None
