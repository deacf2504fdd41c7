"""domain claims: several members may claim a name, one live domain per name

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LIVE_DOMAIN = "verified_at IS NOT NULL AND state != 'deleted'"
STATES = "'pending', 'active', 'failed', 'suspended', 'deleting', 'deleted', 'unverified'"


def upgrade() -> None:
    with op.batch_alter_table("domains", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_domains_name"), type_="unique")
        batch_op.drop_constraint(batch_op.f("ck_domains_state"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_domains_state"), f"state IN ({STATES}, 'lost')"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_domains_name_member_id"), ["name", "member_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_domains_name"),
            ["name"],
            unique=True,
            sqlite_where=sa.text(LIVE_DOMAIN),
            postgresql_where=sa.text(LIVE_DOMAIN),
        )


def downgrade() -> None:
    # One row per name again: lost claims go, and so do unverified claims of a name that is
    # live or was claimed earlier by another member.
    op.execute("DELETE FROM domains WHERE state = 'lost'")
    op.execute(
        "DELETE FROM domains WHERE verified_at IS NULL AND EXISTS ("
        "SELECT 1 FROM domains AS other WHERE other.name = domains.name"
        " AND (other.verified_at IS NOT NULL OR other.id < domains.id))"
    )
    with op.batch_alter_table("domains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domains_name"))
        batch_op.drop_constraint(batch_op.f("uq_domains_name_member_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("ck_domains_state"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_domains_state"), f"state IN ({STATES})")
        batch_op.create_unique_constraint(batch_op.f("uq_domains_name"), ["name"])
