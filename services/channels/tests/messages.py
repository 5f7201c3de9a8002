"""Kafka message.created events as the consumer hands them to the channels service."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.common.events import Message, MessageCreated

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def created(channel: str, seq: int, sender: str = "ada") -> dict:
    """The message.created event of message ``seq``."""
    message = Message(id=f"{seq:024x}", channel_id=channel, seq=seq, sender_id=sender,
                      client_msg_id=f"c-{seq}", text="hi",
                      created_at=START + timedelta(seconds=seq))
    return MessageCreated.of(message, request_id="req-1").model_dump(mode="json")
