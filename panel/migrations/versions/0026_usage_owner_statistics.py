"""PostgreSQL's statistics of how the ledger's owner columns depend on each other (a webspace's
rows are all its member's): without them the planner took a member's and a webspace's rows for
independent, expected one row of both, and read and sorted every row of the webspace for a page
(3.5 ms at 30 days, growing with them) instead of the newest from its index (0.1 ms).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

STATISTICS = "usage_records_owners"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE STATISTICS {STATISTICS} (dependencies)"
        " ON member_id, webspace_id, server_id, video_tenant_id FROM usage_records"
    )
    op.execute("ANALYZE usage_records")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP STATISTICS {STATISTICS}")
