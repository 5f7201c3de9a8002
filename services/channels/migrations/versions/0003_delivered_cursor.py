"""delivered cursor on memberships (message receipts)

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("memberships", sa.Column("last_delivered_seq", sa.BigInteger, nullable=False,
                                           server_default="0"))
    # What a member has read was delivered to them: the cursor starts at the read one.
    op.execute("UPDATE memberships SET last_delivered_seq = last_read_seq")


def downgrade():
    op.drop_column("memberships", "last_delivered_seq")
