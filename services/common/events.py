"""Event schemas: what Parley says on Kafka and on the real-time bus.

One envelope for every event; ``type`` names the schema and ``version`` its
revision (docs/api/events.md). Kafka records are keyed by ``channel_id`` so that
one channel's events stay in order within a partition.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MESSAGE_CREATED = "message.created"
TOPICS = (MESSAGE_CREATED,)

# Real-time bus (RabbitMQ topic exchange): routing keys say who should hear an event.
REALTIME_EXCHANGE = "parley.realtime"


def channel_key(channel_id: str) -> str:
    return f"channel.{channel_id}"


def user_key(user_id: str) -> str:
    return f"user.{user_id}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Message(BaseModel):
    """A message as every consumer sees it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    channel_id: str
    seq: int
    sender_id: str
    client_msg_id: str
    text: str
    created_at: datetime
    attachments: list[dict[str, Any]] = Field(default_factory=list)
    # user ids mentioned with @, plus "channel" or "here" for @channel / @here
    mentions: list[str] = Field(default_factory=list)


class Event(BaseModel):
    """The envelope of every event."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=utcnow)
    request_id: str | None = None
    data: dict[str, Any]

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> "Event":
        return cls.model_validate_json(raw)


class MessageCreated(Event):
    type: Literal["message.created"] = MESSAGE_CREATED
    data: dict[str, Any]

    @field_validator("data")
    @classmethod
    def _data_is_a_message(cls, data: dict[str, Any]) -> dict[str, Any]:
        Message.model_validate(data)  # a malformed event fails here, as a whole
        return data

    @classmethod
    def of(cls, message: Message, request_id: str | None = None) -> "MessageCreated":
        # The event id is the message id: replays of the same message are one event.
        return cls(event_id=message.id, data=message.model_dump(mode="json"),
                   occurred_at=message.created_at, request_id=request_id)

    @property
    def message(self) -> Message:
        return Message.model_validate(self.data)

    @property
    def key(self) -> bytes:
        return self.data["channel_id"].encode()
