from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.models import Base, CreatedAt, one_of, utcnow
from panel.core.roles import ROLE_VALUES, Role
from panel.core.secrets import EncryptedText


class User(UserMixin, CreatedAt, Base):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", ROLE_VALUES),
        CheckConstraint(
            "(role = 'customer') = (reseller_id IS NOT NULL)", name="customer_has_reseller"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    # How a reseller reaches its customer (phone, postal address); free text.
    contact: Mapped[str] = mapped_column(String(500), default="", server_default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # An IANA name such as Europe/Berlin; None: the panel's (PANEL_TIMEZONE).
    timezone: Mapped[str | None] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    reseller_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText())
    totp_enabled_at: Mapped[datetime | None]
    # The TOTP time step of the last accepted code: a code of it or an earlier one is refused.
    totp_last_step: Mapped[int | None]
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None]

    member = relationship("Member", foreign_keys=[member_id], back_populates="users")
    reseller = relationship("User", remote_side=[id], foreign_keys=[reseller_id])

    def get_id(self) -> str:
        # The version makes a password change or reset end every other session of this user.
        return f"{self.id}:{self.session_version}"

    @property
    def owner_user_id(self) -> int:
        return self.id

    @property
    def owner_reseller_id(self) -> int | None:
        return self.reseller_id

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def disabled(self) -> bool:
        return not self.is_enabled

    @property
    def password_set(self) -> bool:
        return self.password_hash is not None

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class ApiToken(CreatedAt, Base):
    __tablename__ = "api_tokens"
    private_to_owner = True

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # A read-only token may only GET, HEAD and OPTIONS.
    read_only: Mapped[bool] = mapped_column(default=False, server_default=false())

    user = relationship(User)

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()


class RecoveryCode(CreatedAt, Base):
    """A one-time code: its selector (the first characters, in clear) finds the row, the rest is
    checked against an argon2 hash. Codes from before selectors have none and a SHA-256 digest."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    selector: Mapped[str | None] = mapped_column(String(4))
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("user_id", "selector"),)


class PasswordResetToken(CreatedAt, Base):
    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed attempts of one account's password or second factor, and until when the next
    attempt waits. Keyed by a digest, so unknown addresses get rows too and behave the same."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int]
    not_before: Mapped[datetime]
    last_attempt_at: Mapped[datetime] = mapped_column(index=True)
