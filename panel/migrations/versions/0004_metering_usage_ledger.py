"""metering usage ledger

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collection_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("gaps", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('complete', 'failed')", name=op.f("ck_collection_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_runs")),
    )
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_runs_started_at"), ["started_at"], unique=False
        )

    op.create_table(
        "usage_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("webspace_id", sa.Integer(), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("resource_name", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_start", sa.Numeric(precision=30, scale=6), nullable=False),
        sa.Column("raw_end", sa.Numeric(precision=30, scale=6), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=30, scale=6), nullable=False),
        sa.Column("quality", sa.String(length=12), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("covered_seconds", sa.Integer(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "quality IN ('complete', 'gap', 'reset')", name=op.f("ck_usage_records_quality")
        ),
        sa.CheckConstraint(
            "resource_type IN ('webspace', 'database')", name=op.f("ck_usage_records_resource_type")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_usage_records_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["webspace_id"], ["webspaces.id"], name=op.f("fk_usage_records_webspace_id_webspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_records")),
        sa.UniqueConstraint(
            "resource_type",
            "resource_id",
            "metric",
            "period_start",
            name=op.f("uq_usage_records_resource_type_resource_id_metric_period_start"),
        ),
    )
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_usage_records_member_id", ["member_id", "period_start"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_usage_records_period_start"), ["period_start"], unique=False
        )
        batch_op.create_index(
            "ix_usage_records_webspace_id", ["webspace_id", "period_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_records_webspace_id")
        batch_op.drop_index(batch_op.f("ix_usage_records_period_start"))
        batch_op.drop_index("ix_usage_records_member_id")

    op.drop_table("usage_records")
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_runs_started_at"))

    op.drop_table("collection_runs")
