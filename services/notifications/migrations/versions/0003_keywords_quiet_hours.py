"""keywords and quiet hours in settings

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
    op.add_column("settings", sa.Column("keywords", sa.JSON, nullable=False,
                                        server_default=sa.text("'[]'")))
    op.add_column("settings", sa.Column("dnd_start", sa.String(5), nullable=True))
    op.add_column("settings", sa.Column("dnd_end", sa.String(5), nullable=True))


def downgrade():
    for column in ("dnd_end", "dnd_start", "keywords"):
        op.drop_column("settings", column)
