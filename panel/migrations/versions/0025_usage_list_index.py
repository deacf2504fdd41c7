"""The index of the ledger's periods in the list's order (newest period first, then meter,
resource and id): a page of the whole fleet's rows sorted each row of the newest period, 50,000
of them with 10,000 webspaces.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

INDEX = "ix_usage_records_period_start"


def upgrade() -> None:
    op.drop_index(INDEX, table_name="usage_records")
    op.create_index(
        INDEX,
        "usage_records",
        [sa.text("period_start DESC"), "metric", "resource_name", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="usage_records")
    op.create_index(INDEX, "usage_records", ["period_start"], unique=False)
