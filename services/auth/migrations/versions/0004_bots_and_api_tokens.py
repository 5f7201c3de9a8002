"""bots and their API tokens (bot and app-level), for the Slack-compatible API

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bots",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("credentials.user_id"),
                  nullable=False, unique=True),
        sa.Column("app_id", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("key", sa.String(64), nullable=True, unique=True),
        sa.Column("created_by", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("token_id", sa.String(32), nullable=False, unique=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("bot_id", sa.String(32), sa.ForeignKey("bots.id"), nullable=False),
        sa.Column("scopes", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_tokens_bot_id", "api_tokens", ["bot_id"])


def downgrade():
    op.drop_index("ix_api_tokens_bot_id", "api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("bots")
