"""hosts may have the role bbb-lb: the BigBlueButton load balancer (BBBLB)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BEFORE = "'webspace', 'managed', 'bbb'"


def upgrade() -> None:
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_hosts_role"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_hosts_role"), f"role IN ({BEFORE}, 'bbb-lb')"
        )


def downgrade() -> None:
    op.execute("UPDATE hosts SET role = 'bbb' WHERE role = 'bbb-lb'")
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_hosts_role"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_hosts_role"), f"role IN ({BEFORE})")
