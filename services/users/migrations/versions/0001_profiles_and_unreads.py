"""profiles, unread counters, counted messages

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "profiles",
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_table(
        "unreads",
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("unread_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("mention_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("read_seq", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "counted_messages",
        sa.Column("message_id", sa.String(32), primary_key=True),
        sa.Column("counted_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )


def downgrade():
    op.drop_table("counted_messages")
    op.drop_table("unreads")
    op.drop_table("profiles")
