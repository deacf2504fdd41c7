"""billing

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("membership_fee", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("reserve_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("vat_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('open', 'closed')", name=op.f("ck_billing_periods_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_periods")),
        sa.UniqueConstraint("month", name=op.f("uq_billing_periods_month")),
    )
    op.create_table(
        "direct_debits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("collection_date", sa.Date(), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_direct_debits")),
        sa.UniqueConstraint("message_id", name=op.f("uq_direct_debits_message_id")),
    )
    op.create_table(
        "invoice_sequences",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_invoice_sequences")),
    )
    op.create_table(
        "bank_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=70), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_bank_accounts_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_accounts")),
    )
    with op.batch_alter_table("bank_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_accounts_member_id"), ["member_id"], unique=False)

    op.create_table(
        "cost_pools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "key IN ('traffic', 'requests', 'cpu', 'disk', 'database_disk', 'webspaces', 'domains', 'members')",
            name=op.f("ck_cost_pools_key"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["billing_periods.id"],
            name=op.f("fk_cost_pools_period_id_billing_periods"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_pools")),
        sa.UniqueConstraint("period_id", "name", name=op.f("uq_cost_pools_period_id_name")),
    )
    with op.batch_alter_table("cost_pools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cost_pools_period_id"), ["period_id"], unique=False)

    op.create_table(
        "mandates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("first_collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('active', 'revoked')", name=op.f("ck_mandates_state")),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_mandates_bank_account_id_bank_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_mandates_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandates")),
        sa.UniqueConstraint("reference", name=op.f("uq_mandates_reference")),
    )
    with op.batch_alter_table("mandates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mandates_member_id"), ["member_id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("number", sa.String(length=11), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("net", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("vat", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("gross", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("reverse_charge", sa.Boolean(), nullable=False),
        sa.Column("buyer", sa.JSON(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=True),
        sa.Column("direct_debit_id", sa.Integer(), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('invoice', 'supplementary', 'credit_note')", name=op.f("ck_invoices_kind")
        ),
        sa.CheckConstraint("state IN ('draft', 'issued')", name=op.f("ck_invoices_state")),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["invoices.id"], name=op.f("fk_invoices_corrects_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["direct_debit_id"],
            ["direct_debits.id"],
            name=op.f("fk_invoices_direct_debit_id_direct_debits"),
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"], ["mandates.id"], name=op.f("fk_invoices_mandate_id_mandates")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_invoices_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["billing_periods.id"],
            name=op.f("fk_invoices_period_id_billing_periods"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_period_id"), ["period_id"], unique=False)

    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=30, scale=9), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=40, scale=12), nullable=False),
        sa.Column("pool_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("key_total", sa.Numeric(precision=30, scale=9), nullable=True),
        sa.Column("exact_net", sa.Numeric(precision=30, scale=12), nullable=False),
        sa.Column("net", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("vat_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("vat", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_lines_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["cost_pools.id"], name=op.f("fk_invoice_lines_pool_id_cost_pools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
    )
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_lines_invoice_id"), ["invoice_id"], unique=False
        )

    # A plain ADD COLUMN: SQLite's batch mode would copy the table and break the share
    # ledger's triggers on it. The server default fills the existing members.
    op.add_column(
        "members", sa.Column("vat_id", sa.String(length=20), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("members", "vat_id")

    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_lines_invoice_id"))

    op.drop_table("invoice_lines")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_period_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_member_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("mandates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mandates_member_id"))

    op.drop_table("mandates")
    with op.batch_alter_table("cost_pools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cost_pools_period_id"))

    op.drop_table("cost_pools")
    with op.batch_alter_table("bank_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_accounts_member_id"))

    op.drop_table("bank_accounts")
    op.drop_table("invoice_sequences")
    op.drop_table("direct_debits")
    op.drop_table("billing_periods")
