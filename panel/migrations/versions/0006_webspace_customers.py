"""a reseller's webspace serves one of its customers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_user_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_webspaces_customer_user_id"), ["customer_user_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_webspaces_customer_user_id_users"),
            "users",
            ["customer_user_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("webspaces", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_webspaces_customer_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_webspaces_customer_user_id"))
        batch_op.drop_column("customer_user_id")
