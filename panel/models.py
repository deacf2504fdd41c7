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
from panel.coop.models import Member, ShareTransaction
from panel.core.audit import AuditEntry
from panel.hosts.models import Host
from panel.metering.models import CollectionRun, UsageRecord
from panel.provisioning.models import HostLock, Job, JobEvent
from panel.servers.models import Server, ServerKey, ServerPort, ServerUser
from panel.webspaces.models import Database, Domain, SftpUser, Webspace

__all__ = [
    "ApiToken",
    "AuditEntry",
    "BankAccount",
    "BillingPeriod",
    "CollectionRun",
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
    "PasswordResetToken",
    "RecoveryCode",
    "Server",
    "ServerKey",
    "ServerPort",
    "ServerUser",
    "SftpUser",
    "ShareTransaction",
    "UsageRecord",
    "User",
    "Webspace",
]
