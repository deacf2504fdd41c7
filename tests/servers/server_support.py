"""Helpers of the managed servers' tests: jobs ended as the worker ends them, fresh keys, and
the rows a refused request must leave as they were."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from panel.core.audit import AuditEntry, acting
from panel.extensions import db
from panel.provisioning.models import Job, JobStatus
from panel.provisioning.operations import finish_job
from panel.servers.models import Server, ServerKey, ServerPort, ServerUser


def settle(job, status=JobStatus.SUCCESSFUL, data: dict | None = None, reason: str = "") -> None:
    """End the job as the worker would after its playbook ran (with what the requests wrote
    since the test's session last read it)."""
    db.session.expire_all()
    with acting("worker"):
        finish_job(job, status, reason=reason, stats={"data": data or {}})
        db.session.commit()


def key_line(comment: str = "") -> str:
    """A fresh ed25519 public key line."""
    public = Ed25519PrivateKey.generate().public_key()
    line = public.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    return f"{line} {comment}".strip()


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Server, ServerUser, ServerKey, ServerPort, Job, AuditEntry)
    }
