"""Users' tables: profiles, unread counters, and the events already counted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Profile(Base):
    __tablename__ = "profiles"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def to_dict(self) -> dict:
        return {"user_id": self.user_id, "email": self.email, "display_name": self.display_name}


class Unread(Base):
    """Per person and channel: messages and mentions since the read cursor."""

    __tablename__ = "unreads"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    unread_count: Mapped[int] = mapped_column(Integer, default=0)
    mention_count: Mapped[int] = mapped_column(Integer, default=0)
    read_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class CountedMessage(Base):
    """Message ids already applied, so that replaying Kafka changes nothing."""

    __tablename__ = "counted_messages"

    message_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    counted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
