"""the message index: full text (english + simple) and trigrams

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TSV = ("to_tsvector('english'::regconfig, text) || "
       "to_tsvector('simple'::regconfig, text)")


def upgrade():
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "messages",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("sender_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("has_file", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("tsv", TSVECTOR, sa.Computed(TSV, persisted=True)),
        sa.Column("indexed_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_index("ix_messages_tsv", "messages", ["tsv"], postgresql_using="gin")
    op.execute("CREATE INDEX ix_messages_text_trgm ON messages USING gin (text gin_trgm_ops)")
    op.execute("CREATE INDEX ix_messages_channel_created ON messages "
               "(channel_id, created_at DESC, id DESC)")
    op.execute("CREATE INDEX ix_messages_sender_created ON messages "
               "(sender_id, created_at DESC)")


def downgrade():
    op.drop_table("messages")
