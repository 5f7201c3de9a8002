"""workspace roles and active flag; full profiles; directory indexes

The oldest existing profile becomes the owner (the first account registered),
every other existing profile a member.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    add = lambda column: op.add_column("profiles", column)  # noqa: E731
    add(sa.Column("role", sa.String(16), nullable=False, server_default="member"))
    add(sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()))
    add(sa.Column("deactivated_at", TZ, nullable=True))
    add(sa.Column("full_name", sa.String(120), nullable=False, server_default=""))
    add(sa.Column("title", sa.String(120), nullable=False, server_default=""))
    add(sa.Column("time_zone", sa.String(64), nullable=True))
    add(sa.Column("status_text", sa.String(100), nullable=False, server_default=""))
    add(sa.Column("status_emoji", sa.String(64), nullable=False, server_default=""))
    add(sa.Column("status_expires_at", TZ, nullable=True))
    add(sa.Column("avatar_key", sa.Text, nullable=True))
    add(sa.Column("last_active_at", TZ, nullable=True))
    op.execute("""
        UPDATE profiles SET role = 'owner'
        WHERE user_id = (SELECT user_id FROM profiles ORDER BY created_at, user_id LIMIT 1)
    """)
    op.execute("CREATE INDEX ix_profiles_directory ON profiles (lower(display_name), user_id)")
    op.execute("CREATE INDEX ix_profiles_display_name_prefix "
               "ON profiles (lower(display_name) text_pattern_ops)")
    op.execute("CREATE INDEX ix_profiles_full_name_prefix "
               "ON profiles (lower(full_name) text_pattern_ops)")
    op.create_index("ix_profiles_role_active", "profiles", ["role", "active"])


def downgrade():
    for name in ("ix_profiles_role_active", "ix_profiles_full_name_prefix",
                 "ix_profiles_display_name_prefix", "ix_profiles_directory"):
        op.drop_index(name, table_name="profiles")
    for column in ("last_active_at", "avatar_key", "status_expires_at", "status_emoji",
                   "status_text", "time_zone", "title", "full_name", "deactivated_at",
                   "active", "role"):
        op.drop_column("profiles", column)
