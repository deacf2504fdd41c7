from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from panel.core.models import Base, one_of, utcnow
from panel.notifications.kinds import Kind


class Notification(Base):
    """One message to one user, in the user's language; read once read_at is set."""

    __tablename__ = "notifications"
    __table_args__ = (one_of("kind", Kind),)
    # Each user's own: not even an admin reads another's.
    private_to_owner = True

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # A path inside the panel where the matter can be seen.
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]

    @property
    def unread(self) -> bool:
        return self.read_at is None


class MutedKind(Base):
    """A kind the user wants no mail of; every kind is mailed unless muted here."""

    __tablename__ = "notification_muted_kinds"
    __table_args__ = (one_of("kind", Kind),)
    private_to_owner = True

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
