"""usage_period_totals: the fleet's usage per meter and period, summed from the ledger's rows as
they are written (filled here from the rows there are); an index of the ledger's incomplete rows

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

INCOMPLETE = "quality != 'complete'"


def upgrade() -> None:
    op.create_table(
        "usage_period_totals",
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=30, scale=6), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period_start", "metric", name=op.f("pk_usage_period_totals")),
    )
    op.execute(
        "INSERT INTO usage_period_totals (period_start, metric, quantity, records)"
        " SELECT period_start, metric, SUM(quantity), COUNT(*) FROM usage_records"
        " GROUP BY period_start, metric"
    )
    op.create_index(
        "ix_usage_records_quality",
        "usage_records",
        ["quality", "period_start"],
        unique=False,
        sqlite_where=sa.text(INCOMPLETE),
        postgresql_where=sa.text(INCOMPLETE),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_usage_records_quality",
        table_name="usage_records",
        sqlite_where=sa.text(INCOMPLETE),
        postgresql_where=sa.text(INCOMPLETE),
    )
    op.drop_table("usage_period_totals")
