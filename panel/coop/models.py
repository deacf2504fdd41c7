from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.models import Base, CreatedAt, one_of, trigram_index
from panel.core.money import Money


class MemberKind(StrEnum):
    NATURAL = "natural"
    LEGAL = "legal"


class MemberStatus(StrEnum):
    APPLICANT = "applicant"
    ACTIVE = "active"
    CANCELLED = "cancelled"
    ENDED = "ended"


class ShareKind(StrEnum):
    SUBSCRIPTION = "subscription"
    CANCELLATION = "cancellation"
    REVERSAL = "reversal"


class NoticeState(StrEnum):
    PENDING = "pending"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"


class PayoutState(StrEnum):
    OPEN = "open"
    PAID = "paid"


class Member(CreatedAt, Base):
    __tablename__ = "members"
    __table_args__ = (
        one_of("kind", MemberKind),
        one_of("status", MemberStatus),
        CheckConstraint("length(prefix) = 3", name="prefix_length"),
        # The share ledger's triggers keep share_count; this check is what stops it going negative.
        CheckConstraint("share_count >= 0", name="share_count_not_negative"),
        # The admins' search and the member register's free text (panel/coop/search.py).
        trigram_index("members", "number", "name", "email", "prefix"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(8), unique=True)
    prefix: Mapped[str] = mapped_column(String(3), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(16), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="DE")
    # A business member's EU VAT ID (checked with python-stdnum): reverse charge abroad.
    vat_id: Mapped[str] = mapped_column(String(20), default="", server_default="")
    status: Mapped[str] = mapped_column(String(12), default=MemberStatus.APPLICANT)
    applied_on: Mapped[date]
    admitted_on: Mapped[date | None]
    cancelled_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    share_count: Mapped[int] = mapped_column(default=0)

    users = relationship("User", foreign_keys="User.member_id", back_populates="member")
    share_transactions = relationship(
        "ShareTransaction", back_populates="member", order_by="ShareTransaction.id"
    )

    @property
    def owner_member_id(self) -> int:
        return self.id

    def __repr__(self) -> str:
        return f"<Member {self.number} {self.prefix}>"


class ShareTransaction(CreatedAt, Base):
    """One line of the share ledger; append-only (enforced by triggers, see the migration)."""

    __tablename__ = "share_transactions"
    office_only = True
    __table_args__ = (
        one_of("kind", ShareKind),
        CheckConstraint(
            "(kind = 'subscription' AND count > 0 AND reverses_id IS NULL)"
            " OR (kind = 'cancellation' AND count < 0 AND reverses_id IS NULL)"
            " OR (kind = 'reversal' AND count <> 0 AND reverses_id IS NOT NULL)",
            name="count_matches_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    count: Mapped[int]
    value_date: Mapped[date]
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("share_transactions.id"), unique=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    member = relationship(Member, back_populates="share_transactions")
    reverses = relationship("ShareTransaction", remote_side=[id])


class ShareNotice(CreatedAt, Base):
    """A member's notice on some of its shares (or, leaving, on all of them), effective at the
    end of a fiscal year; settled then by a cancellation and a payout."""

    __tablename__ = "share_notices"
    __table_args__ = (
        one_of("state", NoticeState),
        CheckConstraint("count >= 0", name="count_not_negative"),
        CheckConstraint("effective_on >= given_on", name="effective_after_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    count: Mapped[int]
    given_on: Mapped[date]
    effective_on: Mapped[date] = mapped_column(index=True)
    # The notice of membership: at its effective date every share is booked out and the
    # membership ends.
    leaving: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(12), default=NoticeState.PENDING)
    settled_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("share_transactions.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    member = relationship(Member)
    settled_transaction = relationship(ShareTransaction)


class SharePayout(CreatedAt, Base):
    """What the cooperative owes a member for shares booked out: the office pays it and marks
    it paid."""

    __tablename__ = "share_payouts"
    office_only = True
    __table_args__ = (
        one_of("state", PayoutState),
        CheckConstraint("amount >= 0 AND count >= 0", name="not_negative"),
        CheckConstraint(
            "(state = 'open' AND paid_on IS NULL) OR (state = 'paid' AND paid_on IS NOT NULL)",
            name="paid_on_matches_state",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("share_notices.id"), unique=True)
    count: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(Money)
    due_on: Mapped[date]
    state: Mapped[str] = mapped_column(String(8), default=PayoutState.OPEN, index=True)
    paid_on: Mapped[date | None]

    member = relationship(Member)
    notice = relationship(ShareNotice)
