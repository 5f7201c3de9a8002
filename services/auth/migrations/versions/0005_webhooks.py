"""incoming webhooks of the Slack-compatible API: a bot posting to one channel

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("bot_id", sa.String(32), sa.ForeignKey("bots.id"), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=True, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade():
    op.drop_table("webhooks")
