"""Channels' tables: conversations, who is in them, and the messages already counted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.audit import AuditLogColumns

PUBLIC, PRIVATE, DM, GROUP_DM = "public", "private", "dm", "group_dm"
KINDS = (PUBLIC, PRIVATE, DM, GROUP_DM)
CONVERSATIONS = (DM, GROUP_DM)  # fixed membership, no name


class Base(DeclarativeBase):
    pass


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=PUBLIC)
    # Unique in the workspace; NULL for DMs and group DMs, which have no name.
    name: Mapped[str | None] = mapped_column(String(80), unique=True, nullable=True)
    # True for every kind but public (kept for clients written before `kind`).
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    # DMs and group DMs: a digest of the sorted member ids, so that one set of
    # people has one conversation even when two of them open it at once.
    member_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    topic: Mapped[str] = mapped_column(String(250), default="")
    purpose: Mapped[str] = mapped_column(String(250), default="")
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    archived_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Maintained from Kafka message.created (see consumer.py): idempotent by message id.
    last_message_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                               nullable=True)
    message_count: Mapped[int] = mapped_column(BigInteger, default=0)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_conversation(self) -> bool:
        return self.kind in CONVERSATIONS

    def to_dict(self, member_count: int = 0) -> dict:
        return {"id": self.id, "kind": self.kind, "name": self.name,
                "is_private": self.is_private, "topic": self.topic or "",
                "purpose": self.purpose or "", "created_by": self.created_by,
                "created_at": _iso(self.created_at), "archived_at": _iso(self.archived_at),
                "member_count": member_count, "message_count": self.message_count or 0,
                "last_message_seq": self.last_message_seq or 0,
                "last_activity_at": _iso(self.last_activity_at)}


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (Index("ix_memberships_channel_order", "channel_id", "joined_at", "user_id"),)

    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The member's read cursor: the highest seq they have read (only moves forward).
    last_read_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # The member's delivered cursor: the highest seq one of their devices has
    # acknowledged. Only moves forward, and never stays below the read cursor
    # (reading a message implies it was delivered).
    last_delivered_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    notification_level: Mapped[str] = mapped_column(String(16), default="all")
    muted: Mapped[bool] = mapped_column(Boolean, default=False)

    def to_dict(self) -> dict:
        return {"joined_at": _iso(self.joined_at), "last_read_seq": self.last_read_seq or 0,
                "last_delivered_seq": self.last_delivered_seq or 0,
                "notification_level": self.notification_level or "all",
                "muted": bool(self.muted)}


class AppliedMessage(Base):
    """Message ids already counted, so that replaying Kafka changes nothing."""

    __tablename__ = "applied_messages"

    message_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None



class AuditEntry(AuditLogColumns, Base):
    """One security-relevant action (services/common/audit.py, docs/audit.md)."""
