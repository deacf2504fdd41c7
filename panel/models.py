"""Imports every feature's models so that the metadata knows all tables (Alembic, create_app)."""

from panel.accounts.models import (
    ApiToken,
    LoginThrottle,
    PasswordResetToken,
    RecoveryCode,
    User,
)
from panel.billing.models import (
    BankAccount,
    BillingPeriod,
    CostPool,
    DirectDebit,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    Mandate,
)
from panel.coop.models import Member, ShareNotice, SharePayout, ShareTransaction
from panel.core.audit import AuditEntry
from panel.governance.models import (
    AmendmentSupport,
    Attachment,
    BallotChoice,
    Comment,
    Participation,
    Proxy,
    Resolution,
    ResolutionItem,
)
from panel.hosts.models import Host
from panel.metering.models import CollectionRun, UsageRecord
from panel.notifications.models import MutedKind, Notification
from panel.provisioning.models import HostLock, Job, JobEvent
from panel.servers.models import Server, ServerKey, ServerPort, ServerUser
from panel.video.models import BbbServer, Room, RoomShare, VideoTenant
from panel.webspaces.models import Database, Domain, SftpUser, Webspace

__all__ = [
    "AmendmentSupport",
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "BallotChoice",
    "BankAccount",
    "BbbServer",
    "BillingPeriod",
    "CollectionRun",
    "Comment",
    "CostPool",
    "Database",
    "DirectDebit",
    "Domain",
    "Host",
    "HostLock",
    "Invoice",
    "InvoiceLine",
    "InvoiceSequence",
    "Job",
    "JobEvent",
    "LoginThrottle",
    "Mandate",
    "Member",
    "MutedKind",
    "Notification",
    "Participation",
    "PasswordResetToken",
    "Proxy",
    "RecoveryCode",
    "Resolution",
    "ResolutionItem",
    "Room",
    "RoomShare",
    "Server",
    "ServerKey",
    "ServerPort",
    "ServerUser",
    "SftpUser",
    "ShareNotice",
    "SharePayout",
    "ShareTransaction",
    "UsageRecord",
    "User",
    "VideoTenant",
    "Webspace",
]
