"""one name per concept: site_users become sftp_users, a job's target its resource

SFTP users were `site_users`, `SiteUser` and `site_user.*` in the audit log; they are
`sftp_users`, `SftpUser` and `sftp_user.*` now. The table is made anew (so that its constraints
and indexes carry the new name on SQLite and PostgreSQL alike) and the rows are copied. The
names stored in rows that code matches on are renamed with it: a job's resource type (which
finds the job outcome of the resource) and the audit log's object types and actions (which its
filters match).

A job's `target_type`/`target_id` are `resource_type`/`resource_id`: "target" is Prometheus'
word for what it scrapes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = (
    "id",
    "webspace_id",
    "member_id",
    "name",
    "public_keys",
    "chroot",
    "last_job_id",
    "created_at",
    "state",
    "desired",
    "state_reason",
)
DESIRED = "'active', 'suspended', 'archived', 'purged', 'absent', 'restored'"
STATES = "'pending', 'active', 'failed', 'suspended', 'deleting', 'deleted', 'unverified'"


def upgrade() -> None:
    _copy_users("site_users", "sftp_users")
    _rename_job_columns(("target_type", "resource_type"), ("target_id", "resource_id"))
    _rename_stored_names(
        old_model="SiteUser", new_model="SftpUser", old="site_user", new="sftp_user"
    )


def downgrade() -> None:
    _rename_stored_names(
        old_model="SftpUser", new_model="SiteUser", old="sftp_user", new="site_user"
    )
    _rename_job_columns(("resource_type", "target_type"), ("resource_id", "target_id"))
    _copy_users("sftp_users", "site_users")


def _copy_users(old: str, new: str) -> None:
    op.create_table(
        new,
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
        sa.CheckConstraint(f"desired IN ({DESIRED})", name=op.f(f"ck_{new}_desired")),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f(f"ck_{new}_state")),
        sa.ForeignKeyConstraint(
            ["last_job_id"],
            ["jobs.id"],
            name=op.f(f"fk_{new}_last_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f(f"fk_{new}_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["webspace_id"], ["webspaces.id"], name=op.f(f"fk_{new}_webspace_id_webspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{new}")),
        sa.UniqueConstraint("name", name=op.f(f"uq_{new}_name")),
    )
    with op.batch_alter_table(new, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{new}_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{new}_webspace_id"), ["webspace_id"], unique=False)
    source = sa.table(old, *(sa.column(name) for name in COLUMNS))
    target = sa.table(new, *(sa.column(name) for name in COLUMNS))
    op.execute(target.insert().from_select(COLUMNS, sa.select(*source.c)))
    if op.get_bind().dialect.name == "postgresql":
        # The copied ids were given, not drawn: the next one drawn follows the highest.
        following = sa.select(sa.func.coalesce(sa.func.max(target.c.id), 0) + 1)
        sequence = sa.func.pg_get_serial_sequence(new, "id")
        op.execute(sa.select(sa.func.setval(sequence, following.scalar_subquery(), False)))
    with op.batch_alter_table(old, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{old}_webspace_id"))
        batch_op.drop_index(batch_op.f(f"ix_{old}_member_id"))
    op.drop_table(old)


def _rename_job_columns(*renames: tuple[str, str]) -> None:
    """In place on both databases: a batch operation would make SQLite copy the table and drop
    the old one, and every last_job_id pointing at a job would be set NULL on the way."""
    for old, new in renames:
        op.execute(f"ALTER TABLE jobs RENAME COLUMN {old} TO {new}")


def _rename_stored_names(*, old_model: str, new_model: str, old: str, new: str) -> None:
    names = {"old_model": old_model, "new_model": new_model}
    op.get_bind().execute(
        sa.text("UPDATE jobs SET resource_type = :new_model WHERE resource_type = :old_model"),
        names,
    )
    op.get_bind().execute(
        sa.text("UPDATE audit_entries SET object_type = :new_model WHERE object_type = :old_model"),
        names,
    )
    # "site_user." and "sftp_user." are both 10 characters: the rest of the action follows.
    op.get_bind().execute(
        sa.text(
            "UPDATE audit_entries SET action = :new || substr(action, 10)"
            " WHERE substr(action, 1, 10) = :old"
        ),
        {"old": f"{old}.", "new": new},
    )
