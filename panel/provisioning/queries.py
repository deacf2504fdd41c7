"""Which jobs a user may see, filtered; how the jobs list sorts and searches them."""

from sqlalchemy import ColumnElement, Select, String, and_, cast, false, or_, select
from sqlalchemy.orm import defer

from panel.core.access import scope_to_member
from panel.core.errors import MAX_ID
from panel.core.listing import Listing, matching
from panel.provisioning.models import Job
from panel.provisioning.resources import RESOURCES


def served_to(user_id: int) -> ColumnElement[bool]:
    """The jobs a customer reads: those whose resource serves it."""
    kinds = [
        and_(
            Job.resource_type == name,
            Job.resource_id.in_(select(model.id).where(model.served_to(user_id))),
        )
        for name, model in RESOURCES.items()
        if hasattr(model, "served_to")
    ]
    return or_(*kinds) if kinds else false()


def job_query(user, filters: dict) -> Select:
    # The lists show no job's vars: JSON each row would decode again.
    listed = select(Job).options(defer(Job.extra_vars)).order_by(Job.id.desc())
    stmt = scope_to_member(listed, Job.member_id, user, viewed_by=served_to)
    if filters.get("status"):
        stmt = stmt.where(Job.status == filters["status"])
    if filters.get("action"):
        stmt = stmt.where(Job.action == filters["action"])
    if filters.get("requested_by"):
        stmt = stmt.where(Job.requested_by_id == filters["requested_by"])
    if filters.get("host"):
        # Hosts are a JSON list; a LIKE on its text is portable across SQLite and PostgreSQL.
        stmt = stmt.where(cast(Job.hosts, String).contains(f'"{filters["host"]}"', autoescape=True))
    return stmt


def _search(text: str) -> ColumnElement[bool]:
    """A number is the job's id (as in "job 1234"); other text is sought in its action, status
    and hosts."""
    if text.isascii() and text.isdigit():
        return Job.id == int(text) if int(text) <= MAX_ID else false()
    return matching(text, (Job.action, Job.status, Job.hosts))


JOB_LIST = Listing(
    sorts={"id": Job.id, "action": Job.action, "status": Job.status, "queued": Job.queued_at},
    tiebreaker=Job.id,
    search=_search,
    direction="desc",
)
