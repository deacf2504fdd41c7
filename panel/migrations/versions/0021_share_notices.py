"""share_notices and share_payouts: notice on shares and of membership, effective at the end
of a fiscal year, and what the office pays out when they take effect

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("leaving", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("settled_transaction_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'settled', 'withdrawn')", name=op.f("ck_share_notices_state")
        ),
        sa.CheckConstraint("count >= 0", name=op.f("ck_share_notices_count_not_negative")),
        sa.CheckConstraint(
            "effective_on >= given_on", name=op.f("ck_share_notices_effective_after_given")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_share_notices_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["settled_transaction_id"],
            ["share_transactions.id"],
            name=op.f("fk_share_notices_settled_transaction_id_share_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_share_notices_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_notices")),
    )
    op.create_index(op.f("ix_share_notices_member_id"), "share_notices", ["member_id"])
    op.create_index(op.f("ix_share_notices_effective_on"), "share_notices", ["effective_on"])
    op.create_table(
        "share_payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('open', 'paid')", name=op.f("ck_share_payouts_state")),
        sa.CheckConstraint(
            "amount >= 0 AND count >= 0", name=op.f("ck_share_payouts_not_negative")
        ),
        sa.CheckConstraint(
            "(state = 'open' AND paid_on IS NULL) OR (state = 'paid' AND paid_on IS NOT NULL)",
            name=op.f("ck_share_payouts_paid_on_matches_state"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_share_payouts_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["share_notices.id"],
            name=op.f("fk_share_payouts_notice_id_share_notices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_payouts")),
        sa.UniqueConstraint("notice_id", name=op.f("uq_share_payouts_notice_id")),
    )
    op.create_index(op.f("ix_share_payouts_member_id"), "share_payouts", ["member_id"])
    op.create_index(op.f("ix_share_payouts_state"), "share_payouts", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_share_payouts_state"), table_name="share_payouts")
    op.drop_index(op.f("ix_share_payouts_member_id"), table_name="share_payouts")
    op.drop_table("share_payouts")
    op.drop_index(op.f("ix_share_notices_effective_on"), table_name="share_notices")
    op.drop_index(op.f("ix_share_notices_member_id"), table_name="share_notices")
    op.drop_table("share_notices")
