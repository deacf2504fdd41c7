"""server metering: ledger rows of managed servers (a row measures a webspace or a server),
cost pools keyed by the servers' meters, and invoice lines naming the server they charge for

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

RESOURCES = "'webspace', 'database'"
KEYS = "'traffic', 'requests', 'cpu', 'disk', 'database_disk'"
COUNTS = "'webspaces', 'domains', 'members'"
SERVER_KEYS = "'server_hours', 'server_cpu', 'server_memory', 'server_disk'"
ONE_RESOURCE = (
    "(webspace_id IS NULL AND server_id IS NOT NULL)"
    " OR (webspace_id IS NOT NULL AND server_id IS NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("server_id", sa.Integer(), nullable=True))
        batch_op.alter_column("webspace_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_usage_records_server_id_servers"), "servers", ["server_id"], ["id"]
        )
        batch_op.create_index(
            "ix_usage_records_server_id", ["server_id", "period_start"], unique=False
        )
        batch_op.drop_constraint(batch_op.f("ck_usage_records_resource_type"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_usage_records_resource_type"),
            f"resource_type IN ({RESOURCES}, 'server')",
        )
        batch_op.create_check_constraint(batch_op.f("ck_usage_records_one_resource"), ONE_RESOURCE)
    with op.batch_alter_table("cost_pools", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_cost_pools_key"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_cost_pools_key"), f"key IN ({KEYS}, {SERVER_KEYS}, {COUNTS})"
        )
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("server_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_lines_server_id_servers"), "servers", ["server_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_invoice_lines_server_id_servers"), type_="foreignkey"
        )
        batch_op.drop_column("server_id")
    with op.batch_alter_table("cost_pools", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_cost_pools_key"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_cost_pools_key"), f"key IN ({KEYS}, {COUNTS})"
        )
    op.execute("DELETE FROM usage_records WHERE server_id IS NOT NULL")
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_usage_records_one_resource"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_usage_records_resource_type"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_usage_records_resource_type"), f"resource_type IN ({RESOURCES})"
        )
        batch_op.drop_index("ix_usage_records_server_id")
        batch_op.drop_constraint(
            batch_op.f("fk_usage_records_server_id_servers"), type_="foreignkey"
        )
        batch_op.alter_column("webspace_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("server_id")
