"""Helpers of video's tests: a job settled as the worker would, the double told a tenant's
secret."""

from dataclasses import dataclass

from panel.core.audit import acting
from panel.extensions import db
from panel.provisioning import operations as provisioning
from panel.video.models import VideoTenant

DOMAIN = "video.test"


@dataclass
class VideoMember:
    user: object
    tenant: VideoTenant
    secret: str


def settle(job, status: str = "successful") -> None:
    with acting("cli"):
        provisioning.finish_job(job, status, stats={})
        db.session.commit()


def serve(double, tenant: VideoTenant) -> None:
    """The double answers calls signed with the tenant's secret (it has one secret)."""
    double.secret = tenant.secret
