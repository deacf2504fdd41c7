"""The audit log: who changed what, when, from where, with the state before and after."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.models import Base, utcnow
from panel.core.roles import Role
from panel.extensions import db

SOURCES = ("web", "api", "cli", "worker")
_source: ContextVar[str | None] = ContextVar("audit_source", default=None)
_actor: ContextVar[Any] = ContextVar("audit_actor", default=None)


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    source: Mapped[str] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    actor = relationship("User", foreign_keys=[actor_id])


@contextmanager
def acting(source: str, actor: Any = None):
    """Attribute audit entries inside the block to this source (cli, worker) and actor."""
    source_token = _source.set(source)
    actor_token = _actor.set(actor)
    try:
        yield
    finally:
        _source.reset(source_token)
        _actor.reset(actor_token)


def current_actor():
    actor = _actor.get()
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    return actor


def _current_source() -> str:
    source = _source.get()
    if source:
        return source
    if has_request_context():
        return "api" if request.path.startswith("/api/") else "web"
    return "cli"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The listed attributes of obj as JSON-safe values (never pass secret fields)."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def record(
    action: str,
    obj: Any,
    *,
    before: dict | None = None,
    after: dict | None = None,
    member_id: int | None = None,
) -> AuditEntry:
    """Add an audit entry to the current session; it commits with the change it describes."""
    actor = current_actor()
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", "") or "",
        source=_current_source(),
        address=request.remote_addr if has_request_context() else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(getattr(obj, "id", "") or ""),
        member_id=member_id,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    db.session.add(entry)
    return entry


def visible_audit(user):
    """Admins see every entry; others the entries about them or their member record."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if user.role == Role.ADMIN:
        return stmt
    own = [AuditEntry.actor_id == user.id]
    if user.member_id is not None:
        own.append(AuditEntry.member_id == user.member_id)
    return stmt.where(or_(*own))


def audit_query(user, filters: dict):
    """The visible entries, newest first, narrowed by the given filters."""
    stmt = visible_audit(user)
    for name in ("action", "source", "object_type", "actor_id", "member_id"):
        if filters.get(name) not in (None, ""):
            stmt = stmt.where(getattr(AuditEntry, name) == filters[name])
    return stmt
