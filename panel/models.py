"""Imports every feature's models so that the metadata knows all tables (Alembic, create_app)."""

from panel.accounts.models import ApiToken, PasswordResetToken, RecoveryCode, User
from panel.coop.models import Member, ShareTransaction
from panel.core.audit import AuditEntry
from panel.hosts.models import Host
from panel.provisioning.models import HostLock, Job, JobEvent
from panel.webspaces.models import Database, Domain, SiteUser, Webspace

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Database",
    "Domain",
    "Host",
    "HostLock",
    "Job",
    "JobEvent",
    "Member",
    "PasswordResetToken",
    "RecoveryCode",
    "ShareTransaction",
    "SiteUser",
    "User",
    "Webspace",
]
