"""webspaces domains databases site users

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webspaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=5), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("desired", sa.String(length=12), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.Column("max_domains", sa.Integer(), nullable=False),
        sa.Column("max_databases", sa.Integer(), nullable=False),
        sa.Column("max_users", sa.Integer(), nullable=False),
        sa.Column("quota_mib", sa.Integer(), nullable=False),
        sa.Column("quota_enforced", sa.Boolean(), nullable=True),
        sa.Column("uid", sa.Integer(), nullable=True),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "desired IN ('active', 'suspended', 'archived', 'purged', 'absent', 'restored')",
            name=op.f("ck_webspaces_desired"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'active', 'failed', 'suspended', 'deleting', 'deleted', 'unverified')",
            name=op.f("ck_webspaces_state"),
        ),
        sa.CheckConstraint(
            "max_domains >= 0 AND max_databases >= 0 AND max_users >= 0",
            name=op.f("ck_webspaces_limits"),
        ),
        sa.CheckConstraint("quota_mib > 0", name=op.f("ck_webspaces_quota")),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"], name=op.f("fk_webspaces_host_id_hosts")),
        sa.ForeignKeyConstraint(
            ["last_job_id"],
            ["jobs.id"],
            name=op.f("fk_webspaces_last_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_webspaces_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webspaces")),
        sa.UniqueConstraint("name", name=op.f("uq_webspaces_name")),
    )
    with op.batch_alter_table("webspaces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webspaces_host_id"), ["host_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_webspaces_member_id"), ["member_id"], unique=False)

    op.create_table(
        "databases",
        sa.Column("webspace_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("password", sa.Text(), nullable=False),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("desired", sa.String(length=12), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "desired IN ('active', 'suspended', 'archived', 'purged', 'absent', 'restored')",
            name=op.f("ck_databases_desired"),
        ),
        sa.CheckConstraint("engine IN ('mariadb', 'postgresql')", name=op.f("ck_databases_engine")),
        sa.CheckConstraint(
            "state IN ('pending', 'active', 'failed', 'suspended', 'deleting', 'deleted', 'unverified')",
            name=op.f("ck_databases_state"),
        ),
        sa.ForeignKeyConstraint(
            ["last_job_id"],
            ["jobs.id"],
            name=op.f("fk_databases_last_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_databases_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["webspace_id"], ["webspaces.id"], name=op.f("fk_databases_webspace_id_webspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_databases")),
        sa.UniqueConstraint("engine", "name", name=op.f("uq_databases_engine_name")),
    )
    with op.batch_alter_table("databases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_databases_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_databases_webspace_id"), ["webspace_id"], unique=False)

    op.create_table(
        "domains",
        sa.Column("webspace_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("www_alias", sa.Boolean(), nullable=False),
        sa.Column("redirect", sa.String(length=2000), nullable=False),
        sa.Column("document_root", sa.String(length=255), nullable=False),
        sa.Column("tls", sa.Boolean(), nullable=False),
        sa.Column("verification_token", sa.String(length=64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tls_not_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tls_error", sa.Text(), nullable=False),
        sa.Column("tls_failures", sa.Integer(), nullable=False),
        sa.Column("tls_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("desired", sa.String(length=12), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "desired IN ('active', 'suspended', 'archived', 'purged', 'absent', 'restored')",
            name=op.f("ck_domains_desired"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'active', 'failed', 'suspended', 'deleting', 'deleted', 'unverified')",
            name=op.f("ck_domains_state"),
        ),
        sa.ForeignKeyConstraint(
            ["last_job_id"],
            ["jobs.id"],
            name=op.f("fk_domains_last_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_domains_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["webspace_id"], ["webspaces.id"], name=op.f("fk_domains_webspace_id_webspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domains")),
        sa.UniqueConstraint("name", name=op.f("uq_domains_name")),
    )
    with op.batch_alter_table("domains", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_domains_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_domains_webspace_id"), ["webspace_id"], unique=False)

    op.create_table(
        "site_users",
        sa.Column("webspace_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("public_keys", sa.Text(), nullable=False),
        sa.Column("chroot", sa.Boolean(), nullable=False),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("desired", sa.String(length=12), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "desired IN ('active', 'suspended', 'archived', 'purged', 'absent', 'restored')",
            name=op.f("ck_site_users_desired"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'active', 'failed', 'suspended', 'deleting', 'deleted', 'unverified')",
            name=op.f("ck_site_users_state"),
        ),
        sa.ForeignKeyConstraint(
            ["last_job_id"],
            ["jobs.id"],
            name=op.f("fk_site_users_last_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_site_users_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["webspace_id"], ["webspaces.id"], name=op.f("fk_site_users_webspace_id_webspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_users")),
        sa.UniqueConstraint("name", name=op.f("uq_site_users_name")),
    )
    with op.batch_alter_table("site_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_users_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_site_users_webspace_id"), ["webspace_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("site_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_users_webspace_id"))
        batch_op.drop_index(batch_op.f("ix_site_users_member_id"))

    op.drop_table("site_users")
    with op.batch_alter_table("domains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domains_webspace_id"))
        batch_op.drop_index(batch_op.f("ix_domains_member_id"))

    op.drop_table("domains")
    with op.batch_alter_table("databases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_databases_webspace_id"))
        batch_op.drop_index(batch_op.f("ix_databases_member_id"))

    op.drop_table("databases")
    with op.batch_alter_table("webspaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webspaces_member_id"))
        batch_op.drop_index(batch_op.f("ix_webspaces_host_id"))

    op.drop_table("webspaces")
