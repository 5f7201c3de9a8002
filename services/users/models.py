"""Users' tables: profiles (with role and active flag), unread and mention
counters, and the events already counted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, DateTime, Index, Integer, String, Text, func,
                        text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.audit import AuditLogColumns

OWNER, ADMIN, MEMBER, GUEST = "owner", "admin", "member", "guest"
ROLES = (OWNER, ADMIN, MEMBER, GUEST)


class Base(DeclarativeBase):
    pass


class Profile(Base):
    """One person of the workspace: who they are, their role, whether they may act."""

    __tablename__ = "profiles"
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(80))
    full_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    title: Mapped[str] = mapped_column(String(120), default="", server_default="")
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_text: Mapped[str] = mapped_column(String(100), default="", server_default="")
    status_emoji: Mapped[str] = mapped_column(String(64), default="", server_default="")
    status_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                               nullable=True)
    # S3 key prefix of the avatar's renditions (<prefix>-256.png, <prefix>-64.png)
    avatar_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    role: Mapped[str] = mapped_column(String(16), default=MEMBER, server_default=MEMBER)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)
    last_active_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def _lower(column, label):
    return func.lower(column).label(label)


# The directory: ordered by (lower(display_name), user_id), searched by a name prefix
# (LIKE 'prefix%' needs text_pattern_ops outside the C locale).
_profiles = Profile.__table__
Index("ix_profiles_directory", _lower(_profiles.c.display_name, "name_order"), _profiles.c.user_id)
Index("ix_profiles_display_name_prefix", _lower(_profiles.c.display_name, "display_lower"),
      postgresql_ops={"display_lower": "text_pattern_ops"})
Index("ix_profiles_full_name_prefix", _lower(_profiles.c.full_name, "full_lower"),
      postgresql_ops={"full_lower": "text_pattern_ops"})
Index("ix_profiles_role_active", _profiles.c.role, _profiles.c.active)


class Unread(Base):
    """Per person and channel: messages and mentions since the read cursor, and the
    highest seq counted into them (clients count what reaches them past it)."""

    __tablename__ = "unreads"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    unread_count: Mapped[int] = mapped_column(Integer, default=0)
    mention_count: Mapped[int] = mapped_column(Integer, default=0)
    read_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    counted_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class CountedMessage(Base):
    """Message ids already applied, so that replaying Kafka changes nothing."""

    __tablename__ = "counted_messages"

    message_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    counted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditEntry(AuditLogColumns, Base):
    """One security-relevant action (services/common/audit.py, docs/audit.md)."""
