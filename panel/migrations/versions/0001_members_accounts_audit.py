"""members, accounts, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-21

The share ledger is append-only and keeps members.share_count by triggers, so that the
database itself refuses a negative share total (the check on members.share_count).
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("prefix", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("share_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('natural', 'legal')", name=op.f("ck_members_kind")),
        sa.CheckConstraint(
            "status IN ('applicant', 'active', 'cancelled', 'ended')",
            name=op.f("ck_members_status"),
        ),
        sa.CheckConstraint("length(prefix) = 3", name=op.f("ck_members_prefix_length")),
        sa.CheckConstraint("share_count >= 0", name=op.f("ck_members_share_count_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("number", name=op.f("uq_members_number")),
        sa.UniqueConstraint("prefix", name=op.f("uq_members_prefix")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("reseller_id", sa.Integer(), nullable=True),
        sa.Column("totp_secret", sa.Text(), nullable=True),
        sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(role = 'customer') = (reseller_id IS NOT NULL)",
            name=op.f("ck_users_customer_has_reseller"),
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'reseller', 'member', 'customer')", name=op.f("ck_users_role")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_users_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["users.id"], name=op.f("fk_users_reseller_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_reseller_id"), ["reseller_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_entries_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_audit_entries_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entries_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entries_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entries_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entries_member_id"), ["member_id"], unique=False)

    op.create_table(
        "password_reset_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_reset_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_tokens_token_hash")),
    )
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_reset_tokens_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint(
            "user_id", "code_hash", name=op.f("uq_recovery_codes_user_id_code_hash")
        ),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)

    op.create_table(
        "share_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'subscription' AND count > 0 AND reverses_id IS NULL) OR (kind = 'cancellation' AND count < 0 AND reverses_id IS NULL) OR (kind = 'reversal' AND count <> 0 AND reverses_id IS NOT NULL)",
            name=op.f("ck_share_transactions_count_matches_kind"),
        ),
        sa.CheckConstraint(
            "kind IN ('subscription', 'cancellation', 'reversal')",
            name=op.f("ck_share_transactions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_share_transactions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_share_transactions_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["share_transactions.id"],
            name=op.f("fk_share_transactions_reverses_id_share_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_transactions")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_share_transactions_reverses_id")),
    )
    with op.batch_alter_table("share_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_share_transactions_member_id"), ["member_id"], unique=False
        )

    create_share_ledger_triggers()


def downgrade() -> None:
    drop_share_ledger_triggers()
    with op.batch_alter_table("share_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_transactions_member_id"))

    op.drop_table("share_transactions")
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_user_id"))

    op.drop_table("recovery_codes")
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_reset_tokens_user_id"))

    op.drop_table("password_reset_tokens")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_member_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_action"))

    op.drop_table("audit_entries")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_reseller_id"))
        batch_op.drop_index(batch_op.f("ix_users_member_id"))

    op.drop_table("users")
    op.drop_table("members")


SQLITE_TRIGGERS = (
    """CREATE TRIGGER share_transactions_balance AFTER INSERT ON share_transactions
    BEGIN
        UPDATE members SET share_count = share_count + NEW.count WHERE id = NEW.member_id;
    END""",
    """CREATE TRIGGER share_transactions_no_update BEFORE UPDATE ON share_transactions
    BEGIN SELECT RAISE(ABORT, 'the share ledger is append-only'); END""",
    """CREATE TRIGGER share_transactions_no_delete BEFORE DELETE ON share_transactions
    BEGIN SELECT RAISE(ABORT, 'the share ledger is append-only'); END""",
)

POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION share_transactions_balance() RETURNS trigger AS $$
    BEGIN
        UPDATE members SET share_count = share_count + NEW.count WHERE id = NEW.member_id;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION share_transactions_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the share ledger is append-only';
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER share_transactions_balance AFTER INSERT ON share_transactions
    FOR EACH ROW EXECUTE FUNCTION share_transactions_balance()""",
    """CREATE TRIGGER share_transactions_append_only BEFORE UPDATE OR DELETE ON share_transactions
    FOR EACH ROW EXECUTE FUNCTION share_transactions_append_only()""",
)


def create_share_ledger_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)


def drop_share_ledger_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER share_transactions_append_only ON share_transactions")
        op.execute("DROP TRIGGER share_transactions_balance ON share_transactions")
        op.execute("DROP FUNCTION share_transactions_append_only()")
        op.execute("DROP FUNCTION share_transactions_balance()")
    else:
        for name in ("balance", "no_update", "no_delete"):
            op.execute(f"DROP TRIGGER share_transactions_{name}")
