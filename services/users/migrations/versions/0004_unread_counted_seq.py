"""unreads.counted_seq: the highest seq counted into a person's counters

Clients count the messages that reach their sockets on top of the counters they
read (``GET /me/unread``); ``counted_seq`` tells them which of those messages the
counters already hold. Existing rows start at 0.

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
    op.add_column("unreads", sa.Column("counted_seq", sa.BigInteger, nullable=False,
                                       server_default="0"))


def downgrade():
    op.drop_column("unreads", "counted_seq")
