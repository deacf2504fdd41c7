"""Which jobs a user may see, filtered."""

from sqlalchemy import Select, String, cast, select

from panel.core.access import scope_to_member
from panel.provisioning.models import Job


def job_query(user, filters: dict) -> Select:
    stmt = scope_to_member(select(Job).order_by(Job.id.desc()), Job.member_id, user)
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
