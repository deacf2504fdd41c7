"""host maintenance: a host drained for a release upgrade takes no new webspaces

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BEFORE = "'new', 'onboarding', 'ready', 'failed', 'unreachable', 'retired'"


def upgrade() -> None:
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_hosts_state"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_hosts_state"), f"state IN ({BEFORE}, 'maintenance')"
        )


def downgrade() -> None:
    # Without the state, a drained host is one whose last job failed: it takes no webspaces.
    op.execute("UPDATE hosts SET state = 'failed' WHERE state = 'maintenance'")
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_hosts_state"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_hosts_state"), f"state IN ({BEFORE})")
