"""governance: resolutions with their motion and amendments, supporters, comments, PDF
attachments, proxies, participations and secret ballots; notifications of their phases

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

KINDS = (
    "'job_failed', 'host_unreachable', 'certificate_failed', 'metering_failed', "
    "'no_webspace_host', 'invoice_issued', 'resource_failed'"
)
GOVERNANCE_KINDS = "'resolution_phase', 'resolution_reminder', 'resolution_result'"


def _notification_kinds(kinds: str) -> None:
    for table in ("notifications", "notification_muted_kinds"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"ck_{table}_kind"), type_="check")
            batch_op.create_check_constraint(batch_op.f(f"ck_{table}_kind"), f"kind IN ({kinds})")


def upgrade() -> None:
    op.create_table(
        "resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("majority", sa.String(length=16), nullable=False),
        sa.Column("quorum_percent", sa.Integer(), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("discussion_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voting_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voting_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_supporters", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=12), nullable=False),
        sa.Column("eligible_count", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discussion_mail_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discussion_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voting_mail_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voting_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_mail_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "majority IN ('simple', 'two_thirds', 'three_quarters')",
            name=op.f("ck_resolutions_majority"),
        ),
        sa.CheckConstraint(
            "phase IN ('draft', 'announced', 'discussion', 'voting', 'closed')",
            name=op.f("ck_resolutions_phase"),
        ),
        sa.CheckConstraint(
            "discussion_from < voting_from AND voting_from < voting_until",
            name=op.f("ck_resolutions_phase_order"),
        ),
        sa.CheckConstraint("min_supporters >= 0", name=op.f("ck_resolutions_min_supporters")),
        sa.CheckConstraint(
            "quorum_percent BETWEEN 0 AND 100", name=op.f("ck_resolutions_quorum_percent")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_resolutions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolutions")),
    )
    with op.batch_alter_table("resolutions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resolutions_phase"), ["phase"], unique=False)

    op.create_table(
        "resolution_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resolution_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resolution_id"],
            ["resolutions.id"],
            name=op.f("fk_resolution_attachments_resolution_id_resolutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_attachments")),
    )
    with op.batch_alter_table("resolution_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resolution_attachments_resolution_id"), ["resolution_id"], unique=False
        )

    op.create_table(
        "resolution_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resolution_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_resolution_comments_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolution_id"],
            ["resolutions.id"],
            name=op.f("fk_resolution_comments_resolution_id_resolutions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_resolution_comments_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_comments")),
    )
    with op.batch_alter_table("resolution_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resolution_comments_resolution_id"), ["resolution_id"], unique=False
        )

    op.create_table(
        "resolution_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resolution_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("yes", sa.Integer(), nullable=True),
        sa.Column("no", sa.Integer(), nullable=True),
        sa.Column("abstain", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('motion', 'amendment')", name=op.f("ck_resolution_items_kind")
        ),
        sa.CheckConstraint(
            "state IN ('proposed', 'on_ballot', 'not_admitted', 'withdrawn')",
            name=op.f("ck_resolution_items_state"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_resolution_items_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolution_id"],
            ["resolutions.id"],
            name=op.f("fk_resolution_items_resolution_id_resolutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_items")),
    )
    with op.batch_alter_table("resolution_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resolution_items_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_resolution_items_resolution_id"), ["resolution_id"], unique=False
        )

    op.create_table(
        "resolution_participations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resolution_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("cast_by_id", sa.Integer(), nullable=True),
        sa.Column("sealed_receipt", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cast_by_id"],
            ["members.id"],
            name=op.f("fk_resolution_participations_cast_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_resolution_participations_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolution_id"],
            ["resolutions.id"],
            name=op.f("fk_resolution_participations_resolution_id_resolutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_participations")),
        sa.UniqueConstraint(
            "resolution_id",
            "member_id",
            name=op.f("uq_resolution_participations_resolution_id_member_id"),
        ),
    )
    with op.batch_alter_table("resolution_participations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resolution_participations_resolution_id"),
            ["resolution_id"],
            unique=False,
        )

    op.create_table(
        "resolution_proxies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resolution_id", sa.Integer(), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        sa.Column("proxy_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("principal_id <> proxy_id", name=op.f("ck_resolution_proxies_not_self")),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["members.id"],
            name=op.f("fk_resolution_proxies_principal_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proxy_id"],
            ["members.id"],
            name=op.f("fk_resolution_proxies_proxy_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolution_id"],
            ["resolutions.id"],
            name=op.f("fk_resolution_proxies_resolution_id_resolutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_proxies")),
        sa.UniqueConstraint(
            "resolution_id",
            "principal_id",
            name=op.f("uq_resolution_proxies_resolution_id_principal_id"),
        ),
    )
    with op.batch_alter_table("resolution_proxies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resolution_proxies_proxy_id"), ["proxy_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_resolution_proxies_resolution_id"), ["resolution_id"], unique=False
        )

    op.create_table(
        "amendment_supports",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["resolution_items.id"],
            name=op.f("fk_amendment_supports_item_id_resolution_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_amendment_supports_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "member_id", name=op.f("pk_amendment_supports")),
    )
    op.create_table(
        "ballot_choices",
        sa.Column("receipt", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("resolution_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "choice IN ('yes', 'no', 'abstain')", name=op.f("ck_ballot_choices_choice")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["resolution_items.id"],
            name=op.f("fk_ballot_choices_item_id_resolution_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_ballot_choices_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolution_id"],
            ["resolutions.id"],
            name=op.f("fk_ballot_choices_resolution_id_resolutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("receipt", "item_id", name=op.f("pk_ballot_choices")),
        # SQLite: no hidden rowid, which would number the ballots in the order cast.
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("ballot_choices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ballot_choices_resolution_id"), ["resolution_id"], unique=False
        )
    _notification_kinds(f"{KINDS}, {GOVERNANCE_KINDS}")


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind LIKE 'resolution_%'")
    op.execute("DELETE FROM notification_muted_kinds WHERE kind LIKE 'resolution_%'")
    _notification_kinds(KINDS)
    with op.batch_alter_table("ballot_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_choices_resolution_id"))

    op.drop_table("ballot_choices")
    op.drop_table("amendment_supports")
    with op.batch_alter_table("resolution_proxies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolution_proxies_resolution_id"))
        batch_op.drop_index(batch_op.f("ix_resolution_proxies_proxy_id"))

    op.drop_table("resolution_proxies")
    with op.batch_alter_table("resolution_participations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolution_participations_resolution_id"))

    op.drop_table("resolution_participations")
    with op.batch_alter_table("resolution_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolution_items_resolution_id"))
        batch_op.drop_index(batch_op.f("ix_resolution_items_member_id"))

    op.drop_table("resolution_items")
    with op.batch_alter_table("resolution_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolution_comments_resolution_id"))

    op.drop_table("resolution_comments")
    with op.batch_alter_table("resolution_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolution_attachments_resolution_id"))

    op.drop_table("resolution_attachments")
    with op.batch_alter_table("resolutions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolutions_phase"))

    op.drop_table("resolutions")
