"""video usage: ledger rows of members' video tenants (participant time from BBBLB's
statistics), and cost pools keyed by it (keys of up to 32 characters: video_participants)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

RESOURCES = "'webspace', 'database', 'server'"
KEYS = (
    "'traffic', 'requests', 'cpu', 'disk', 'database_disk', "
    "'server_hours', 'server_cpu', 'server_memory', 'server_disk'"
)
COUNTS = "'webspaces', 'domains', 'members'"
TWO_RESOURCES = (
    "(webspace_id IS NULL AND server_id IS NOT NULL)"
    " OR (webspace_id IS NOT NULL AND server_id IS NULL)"
)
ONE_RESOURCE = (
    "(webspace_id IS NOT NULL AND server_id IS NULL AND video_tenant_id IS NULL)"
    " OR (webspace_id IS NULL AND server_id IS NOT NULL AND video_tenant_id IS NULL)"
    " OR (webspace_id IS NULL AND server_id IS NULL AND video_tenant_id IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("video_tenant_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_usage_records_video_tenant_id", ["video_tenant_id", "period_start"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_usage_records_video_tenant_id_video_tenants"),
            "video_tenants",
            ["video_tenant_id"],
            ["id"],
        )
        batch_op.drop_constraint(batch_op.f("ck_usage_records_resource_type"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_usage_records_resource_type"),
            f"resource_type IN ({RESOURCES}, 'video_tenant')",
        )
        batch_op.drop_constraint(batch_op.f("ck_usage_records_one_resource"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_usage_records_one_resource"), ONE_RESOURCE)
    with op.batch_alter_table("cost_pools", schema=None) as batch_op:
        batch_op.alter_column("key", existing_type=sa.String(16), type_=sa.String(32))
        batch_op.drop_constraint(batch_op.f("ck_cost_pools_key"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_cost_pools_key"), f"key IN ({KEYS}, 'video_participants', {COUNTS})"
        )
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.alter_column("key", existing_type=sa.String(16), type_=sa.String(32))


def downgrade() -> None:
    op.execute("DELETE FROM cost_pools WHERE key = 'video_participants'")
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.alter_column("key", existing_type=sa.String(32), type_=sa.String(16))
    with op.batch_alter_table("cost_pools", schema=None) as batch_op:
        batch_op.alter_column("key", existing_type=sa.String(32), type_=sa.String(16))
        batch_op.drop_constraint(batch_op.f("ck_cost_pools_key"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_cost_pools_key"), f"key IN ({KEYS}, {COUNTS})"
        )
    op.execute("DELETE FROM usage_records WHERE video_tenant_id IS NOT NULL")
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_usage_records_one_resource"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_usage_records_one_resource"), TWO_RESOURCES)
        batch_op.drop_constraint(batch_op.f("ck_usage_records_resource_type"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_usage_records_resource_type"), f"resource_type IN ({RESOURCES})"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_usage_records_video_tenant_id_video_tenants"), type_="foreignkey"
        )
        batch_op.drop_index("ix_usage_records_video_tenant_id")
        batch_op.drop_column("video_tenant_id")
