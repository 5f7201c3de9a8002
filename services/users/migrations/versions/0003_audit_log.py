"""audit_log: security-relevant actions, append-only (a trigger refuses UPDATE and DELETE)

Revision ID: 0003
Revises: 0002
"""
from alembic import op

from services.common import audit

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    audit.create_table(op)


def downgrade():
    audit.drop_table(op)
