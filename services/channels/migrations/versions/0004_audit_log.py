"""audit_log: security-relevant actions, append-only (a trigger refuses UPDATE and DELETE)

Revision ID: 0004
Revises: 0003
"""
from alembic import op

from services.common import audit

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    audit.create_table(op)


def downgrade():
    audit.drop_table(op)
