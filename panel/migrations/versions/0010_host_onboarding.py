"""host onboarding: a host is ready once its setup job succeeded (onboarding, failed)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

STATES = "'new', 'ready', 'unreachable', 'retired'"


def upgrade() -> None:
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_hosts_state"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_hosts_state"),
            "state IN ('new', 'onboarding', 'ready', 'failed', 'unreachable', 'retired')",
        )


def downgrade() -> None:
    # A host whose setup did not finish is not ready; it is onboarded again after the upgrade.
    op.execute("UPDATE hosts SET state = 'new' WHERE state IN ('onboarding', 'failed')")
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_hosts_state"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_hosts_state"), f"state IN ({STATES})")
