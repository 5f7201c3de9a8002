"""channel kinds, DMs, topic and purpose, archiving, read cursors and notification
levels on memberships, message counts idempotent by message id

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("channels", sa.Column("kind", sa.String(16), nullable=False,
                                        server_default="public"))
    op.execute("UPDATE channels SET kind = 'private' WHERE is_private")
    op.alter_column("channels", "name", existing_type=sa.String(80), nullable=True)
    op.add_column("channels", sa.Column("member_key", sa.String(64), nullable=True))
    op.create_unique_constraint("uq_channels_member_key", "channels", ["member_key"])
    op.add_column("channels", sa.Column("topic", sa.String(250), nullable=False,
                                        server_default=""))
    op.add_column("channels", sa.Column("purpose", sa.String(250), nullable=False,
                                        server_default=""))
    op.add_column("channels", sa.Column("archived_at", sa.DateTime(timezone=True),
                                        nullable=True))
    op.add_column("channels", sa.Column("archived_by", sa.String(32), nullable=True))
    op.add_column("channels", sa.Column("message_count", sa.BigInteger, nullable=False,
                                        server_default="0"))
    # seq is gapless, so until now a channel's message count was its highest seq.
    op.execute("UPDATE channels SET message_count = last_message_seq")
    # Directory search is by name prefix: LIKE 'abc%' needs a pattern-ops index.
    op.execute("CREATE INDEX ix_channels_name_prefix ON channels (name varchar_pattern_ops)")

    op.add_column("memberships", sa.Column("last_read_seq", sa.BigInteger, nullable=False,
                                           server_default="0"))
    op.add_column("memberships", sa.Column("notification_level", sa.String(16),
                                           nullable=False, server_default="all"))
    op.add_column("memberships", sa.Column("muted", sa.Boolean, nullable=False,
                                           server_default=sa.false()))
    op.create_index("ix_memberships_channel_order", "memberships",
                    ["channel_id", "joined_at", "user_id"])

    op.create_table(
        "applied_messages",
        sa.Column("message_id", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )


def downgrade():
    op.drop_table("applied_messages")
    op.drop_index("ix_memberships_channel_order", "memberships")
    for column in ("muted", "notification_level", "last_read_seq"):
        op.drop_column("memberships", column)
    op.execute("DROP INDEX ix_channels_name_prefix")
    op.drop_constraint("uq_channels_member_key", "channels")
    op.execute("DELETE FROM memberships WHERE channel_id IN "
               "(SELECT id FROM channels WHERE name IS NULL)")
    op.execute("DELETE FROM channels WHERE name IS NULL")
    op.alter_column("channels", "name", existing_type=sa.String(80), nullable=False)
    for column in ("message_count", "archived_by", "archived_at", "purpose", "topic",
                   "member_key", "kind"):
        op.drop_column("channels", column)
