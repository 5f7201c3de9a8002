"""Channels' tables: channels and who is in them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Maintained from Kafka message.created (see consumer.py): monotonic, idempotent.
    last_message_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                               nullable=True)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "is_private": self.is_private,
                "created_by": self.created_by,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "last_message_seq": self.last_message_seq,
                "last_activity_at": (self.last_activity_at.isoformat()
                                     if self.last_activity_at else None)}


class Membership(Base):
    __tablename__ = "memberships"

    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
