"""refresh tokens, password resets, deactivation; roles move to the users service

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
    op.add_column("credentials", sa.Column("active", sa.Boolean(), nullable=False,
                                           server_default=sa.true()))
    op.add_column("credentials", sa.Column("password_changed_at", sa.DateTime(timezone=True),
                                           nullable=True))
    op.drop_column("credentials", "role")  # the users service owns roles (users.access)
    op.add_column("sessions", sa.Column("revoked_reason", sa.String(32), nullable=True))
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("session_id", sa.String(32), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_refresh_tokens_session_id", "refresh_tokens", ["session_id"])
    op.create_table(
        "password_resets",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("credentials.user_id"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"])


def downgrade():
    op.drop_table("password_resets")
    op.drop_table("refresh_tokens")
    op.drop_column("sessions", "revoked_reason")
    op.add_column("credentials", sa.Column("role", sa.String(16), nullable=False,
                                           server_default="member"))
    op.drop_column("credentials", "password_changed_at")
    op.drop_column("credentials", "active")
