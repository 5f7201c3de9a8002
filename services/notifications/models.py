"""Notifications' tables: how loudly each person wants to hear about each channel,
how they want to be reached (settings, push subscriptions), and every decision
and delivery attempt (docs/notifications.md)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint, func)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Preference(Base):
    __tablename__ = "preferences"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # "*" is the person's default for channels without their own setting.
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


class Settings(Base):
    """A person's delivery settings (one row once they change anything)."""

    __tablename__ = "settings"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    push_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # False: pushes and emails say who wrote where, never what.
    previews: Mapped[bool] = mapped_column(Boolean, default=True)
    # Words that notify like a mention (case-insensitive, whole words).
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    # Quiet hours ("22:00" to "07:30") in the person's time zone (their profile's):
    # no push then, and no digest until they end.
    dnd_start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    dnd_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


class PushSubscription(Base):
    """One browser or phone that accepts Web Push for a person (RFC 8030)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def to_dict(self) -> dict:
        return {"id": self.id, "endpoint": self.endpoint, "user_agent": self.user_agent or "",
                "created_at": _iso(self.created_at), "last_success_at": _iso(self.last_success_at)}


class Notification(Base):
    """One decision to tell one person about one message on one channel (push or
    email). The unique key is what makes replays and redeliveries harmless."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("message_id", "user_id", "kind"),
                      Index("ix_notifications_pending", "kind", "status", "created_at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))          # push | email
    channel_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str] = mapped_column(String(16))       # dm | mention | channel | here | thread | all
    # pending → sending → sent | failed | no_device | read | disabled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    content: Mapped[dict] = mapped_column(JSON, default=dict)   # what a push or digest shows
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Attempt(Base):
    """Every delivery attempt and its outcome (one push to one device, one email)."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    notification_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    digest_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    subscription_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))      # sent | gone | retry | failed
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Digest(Base):
    """One email summarising several notifications (those with its ``digest_id``)."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="sending")   # sending | sent | failed
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
