"""On PostgreSQL the searches' substring conditions (`ILIKE '%text%'`) are answered from trigram
indexes (pg_trgm) instead of reading every member, webspace and domain; SQLite has none."""

import pytest
from sqlalchemy import inspect, select, text

from panel.coop.models import Member
from panel.core.listing import matching
from panel.extensions import db
from panel.webspaces.models import Domain, Webspace

SEARCHES = [
    (Member, (Member.number, Member.name, Member.email, Member.prefix), "ix_members_number_trgm"),
    (Webspace, (Webspace.name,), "ix_webspaces_name_trgm"),
    (Domain, (Domain.name,), "ix_domains_name_trgm"),
]


@pytest.mark.parametrize(("model", "columns", "index"), SEARCHES)
def test_a_substring_search_reads_its_trigram_index(model, columns, index):
    if db.engine.dialect.name != "postgresql":
        found = inspect(db.session.connection()).get_indexes(model.__tablename__)
        assert index not in {each["name"] for each in found}
        return
    # Reading a test's few rows is cheaper than any index: the planner is told not to, so that
    # its plan shows whether the index answers the search's condition at all.
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    searched = select(model.id).where(matching("bäckerei%_", columns))
    compiled = searched.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
    assert index in plan, plan
