"""managed servers: pool hosts that resellers run for their customers, with their unix users,
SSH keys and open ports; at most one live server per host

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

HOLDS_HOST = "host_id IS NOT NULL AND state != 'released'"
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "servers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=32), nullable=False),
        sa.Column("stacks", sa.JSON(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("desired", sa.String(length=12), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_mode", sa.String(length=8), nullable=True),
        sa.Column("archive_file", sa.String(length=255), nullable=True),
        sa.Column("archive_purge_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("desired IN ('active', 'released')", name=op.f("ck_servers_desired")),
        sa.CheckConstraint(
            "release_mode IN ('archive', 'wipe')", name=op.f("ck_servers_release_mode")
        ),
        sa.CheckConstraint(
            "state IN ('requested', 'pending', 'active', 'failed', 'releasing', 'released')",
            name=op.f("ck_servers_state"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_servers_customer_id_users")
        ),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"], name=op.f("fk_servers_host_id_hosts")),
        sa.ForeignKeyConstraint(
            ["last_job_id"],
            ["jobs.id"],
            name=op.f("fk_servers_last_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_servers_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["users.id"], name=op.f("fk_servers_reseller_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servers")),
    )
    with op.batch_alter_table("servers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_servers_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            "ix_servers_host_id",
            ["host_id"],
            unique=True,
            sqlite_where=sa.text(HOLDS_HOST),
            postgresql_where=sa.text(HOLDS_HOST),
        )
        batch_op.create_index(batch_op.f("ix_servers_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_servers_reseller_id"), ["reseller_id"], unique=False)

    op.create_table(
        "server_ports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("proto", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("proto IN ('tcp', 'udp')", name=op.f("ck_server_ports_proto")),
        sa.CheckConstraint("port BETWEEN 1 AND 65535", name=op.f("ck_server_ports_port")),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name=op.f("fk_server_ports_server_id_servers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_ports")),
        sa.UniqueConstraint(
            "server_id", "port", "proto", name=op.f("uq_server_ports_server_id_port_proto")
        ),
    )
    with op.batch_alter_table("server_ports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_server_ports_server_id"), ["server_id"], unique=False)

    op.create_table(
        "server_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("sudo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name=op.f("fk_server_users_server_id_servers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_users")),
        sa.UniqueConstraint("server_id", "name", name=op.f("uq_server_users_server_id_name")),
    )
    op.create_table(
        "server_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_user_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["server_user_id"],
            ["server_users.id"],
            name=op.f("fk_server_keys_server_user_id_server_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_keys")),
        sa.UniqueConstraint(
            "server_user_id", "fingerprint", name=op.f("uq_server_keys_server_user_id_fingerprint")
        ),
    )
    with op.batch_alter_table("server_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_server_keys_server_user_id"), ["server_user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("server_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_server_keys_server_user_id"))

    op.drop_table("server_keys")
    op.drop_table("server_users")
    with op.batch_alter_table("server_ports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_server_ports_server_id"))

    op.drop_table("server_ports")
    with op.batch_alter_table("servers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_servers_reseller_id"))
        batch_op.drop_index(batch_op.f("ix_servers_member_id"))
        batch_op.drop_index(
            "ix_servers_host_id",
            sqlite_where=sa.text(HOLDS_HOST),
            postgresql_where=sa.text(HOLDS_HOST),
        )
        batch_op.drop_index(batch_op.f("ix_servers_customer_id"))

    op.drop_table("servers")
