"""account security: TOTP steps used once, recovery codes with selectors and argon2 hashes,
delays per account after failed logins, API tokens with expiry and a read-only scope

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_throttles_last_attempt_at"), ["last_attempt_at"], unique=False
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("read_only", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Codes stored before keep their SHA-256 digest and no selector; they still work once each.
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("selector", sa.String(length=4), nullable=True))
        batch_op.alter_column(
            "code_hash", existing_type=sa.String(length=64), type_=sa.String(length=255)
        )
        batch_op.drop_constraint("uq_recovery_codes_user_id_code_hash", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_recovery_codes_user_id_selector"), ["user_id", "selector"]
        )


def downgrade() -> None:
    # The older schema can neither hold nor check argon2 hashes: those codes go.
    op.execute(sa.text("DELETE FROM recovery_codes WHERE selector IS NOT NULL"))
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_recovery_codes_user_id_selector"), type_="unique")
        batch_op.create_unique_constraint(
            "uq_recovery_codes_user_id_code_hash", ["user_id", "code_hash"]
        )
        batch_op.alter_column(
            "code_hash", existing_type=sa.String(length=255), type_=sa.String(length=64)
        )
        batch_op.drop_column("selector")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("read_only")
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttles_last_attempt_at"))
    op.drop_table("login_throttles")
