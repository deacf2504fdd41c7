"""video: BBB servers, tenants, rooms and their shares

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bbb_servers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("state_reason", sa.String(length=2000), nullable=False),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'active', 'failed')", name=op.f("ck_bbb_servers_state")
        ),
        sa.ForeignKeyConstraint(
            ["host_id"], ["hosts.id"], name=op.f("fk_bbb_servers_host_id_hosts")
        ),
        sa.ForeignKeyConstraint(
            ["last_job_id"],
            ["jobs.id"],
            name=op.f("fk_bbb_servers_last_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bbb_servers")),
        sa.UniqueConstraint("domain", name=op.f("uq_bbb_servers_domain")),
    )
    op.create_table(
        "video_tenants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("realm", sa.String(length=255), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("max_participants", sa.Integer(), nullable=True),
        sa.Column("max_duration_minutes", sa.Integer(), nullable=True),
        sa.Column("recording_allowed", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("state_reason", sa.String(length=2000), nullable=False),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.Column("secret_rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'active', 'failed')", name=op.f("ck_video_tenants_state")
        ),
        sa.ForeignKeyConstraint(
            ["last_job_id"],
            ["jobs.id"],
            name=op.f("fk_video_tenants_last_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_video_tenants_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_tenants")),
        sa.UniqueConstraint("member_id", name=op.f("uq_video_tenants_member_id")),
        sa.UniqueConstraint("name", name=op.f("uq_video_tenants_name")),
        sa.UniqueConstraint("realm", name=op.f("uq_video_tenants_realm")),
    )
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("meeting_id", sa.String(length=64), nullable=False),
        sa.Column("viewer_code", sa.Text(), nullable=True),
        sa.Column("moderator_code", sa.Text(), nullable=True),
        sa.Column("record", sa.Boolean(), nullable=False),
        sa.Column("mute_on_start", sa.Boolean(), nullable=False),
        sa.Column("waiting_room", sa.Boolean(), nullable=False),
        sa.Column("anyone_can_start", sa.Boolean(), nullable=False),
        sa.Column("all_moderators", sa.Boolean(), nullable=False),
        sa.Column("max_participants", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_rooms_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["video_tenants.id"], name=op.f("fk_rooms_tenant_id_video_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_rooms_meeting_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_rooms_slug")),
    )
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rooms_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rooms_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "room_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_room_shares_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_shares_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_shares")),
        sa.UniqueConstraint("room_id", "member_id", name=op.f("uq_room_shares_room_id_member_id")),
    )
    with op.batch_alter_table("room_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_shares_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_room_shares_room_id"), ["room_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("room_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_shares_room_id"))
        batch_op.drop_index(batch_op.f("ix_room_shares_member_id"))

    op.drop_table("room_shares")
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rooms_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_rooms_member_id"))

    op.drop_table("rooms")
    op.drop_table("video_tenants")
    op.drop_table("bbb_servers")
