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
MESSAGE_UPDATED = "message.updated"    # edited, pinned or unpinned
MESSAGE_DELETED = "message.deleted"    # now a tombstone
REACTION_ADDED = "reaction.added"
REACTION_REMOVED = "reaction.removed"
# One Kafka topic per event type, each keyed by channel id.
TOPICS = (MESSAGE_CREATED, MESSAGE_UPDATED, MESSAGE_DELETED, REACTION_ADDED, REACTION_REMOVED)

# Real-time bus (RabbitMQ topic exchange): routing keys say who should hear an event.
REALTIME_EXCHANGE = "parley.realtime"
# A bus message carrying several events, each with the keys it goes to (the AMQP
# ``type`` property of the message; see ``bundle_messages``).
BUNDLE = "parley.bundle"
BUNDLE_MAX_KEYS = 1000   # per message: its keys travel in a header, which fits one frame
# Bus only, never on Kafka: a member's delivered or read cursor moved in a DM or group DM.
RECEIPT = "receipt"
# Bus only: someone's status changed (to everyone sharing a channel with them), and
# someone is typing in a channel (expires by itself).
PRESENCE_CHANGED = "presence.changed"
TYPING = "typing"
# Bus only: someone's unread and mention counters in one channel changed (to that person).
UNREAD_CHANGED = "unread.changed"
# Bus only: someone's profile (name, status, avatar…) changed (to everyone sharing a
# channel with them).
USER_UPDATED = "user.updated"
# A Nameko event of the channels service, to every instance of the services that
# remember channels' people (services/common/channel_memory.py): someone joined, left
# or changed their settings in a channel, or the channel itself changed.
AUDIENCE_CHANGED = "audience_changed"


def channel_key(channel_id: str) -> str:
    return f"channel.{channel_id}"


def user_key(user_id: str) -> str:
    return f"user.{user_id}"


def keys_around(user_id: str, channels: list[dict]) -> list[str]:
    """Where news about a person goes (presence, profile): their own devices and every
    channel, DM and group DM they are in (``channels`` as channels.list_for_user gives
    them). Published together (``publish.many``), the event reaches a socket once."""
    return [user_key(user_id), *(channel_key(channel["id"]) for channel in channels)]


def bundle_messages(events: list[tuple[list[str], dict]]
                    ) -> list[tuple[str, list[str], list[dict]]]:
    """The bus messages that carry ``events`` (each an event and the keys it goes to):
    ``(routing key, the message's other keys, body)``, the body a list of
    ``{"keys", "event"}``. A message is published on its first key with the others in
    RabbitMQ's ``CC`` header (sender-selected distribution): it reaches each queue bound
    to any of its keys once, and the gateway hands each event to the sockets listening
    on its keys. At most ``BUNDLE_MAX_KEYS`` keys per message; an event with more is
    split across messages (a socket dedupes by event id)."""
    messages: list[tuple[str, list[str], list[dict]]] = []
    keys: dict[str, None] = {}   # the message's keys, in order, once each
    body: list[dict] = []
    for event_keys, event in events:
        event_keys = list(dict.fromkeys(event_keys))
        while event_keys:
            if len(keys) == BUNDLE_MAX_KEYS:
                messages.append((*_first_and_rest(keys), body))
                keys, body = {}, []
            taken, event_keys = (event_keys[:BUNDLE_MAX_KEYS - len(keys)],
                                 event_keys[BUNDLE_MAX_KEYS - len(keys):])
            body.append({"keys": taken, "event": event})
            keys.update(dict.fromkeys(taken))
    if body:
        messages.append((*_first_and_rest(keys), body))
    return messages


def _first_and_rest(keys: dict[str, None]) -> tuple[str, list[str]]:
    first, *rest = keys
    return first, rest


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
    # user ids mentioned with <@id> (members only), plus "channel" / "here"
    mentions: list[str] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)   # http(s) URLs in the text
    edited_at: datetime | None = None
    deleted_at: datetime | None = None                # a tombstone: text and files gone
    pinned: bool = False
    pinned_by: str | None = None
    pinned_at: datetime | None = None
    # one entry per emoji, in the order first used: {"emoji", "count", "user_ids"}
    reactions: list[dict[str, Any]] = Field(default_factory=list)
    # threads: a reply names its parent; a parent counts its replies
    thread_parent_id: str | None = None
    also_to_channel: bool = False
    reply_count: int = 0
    last_reply_at: datetime | None = None
    participants: list[str] = Field(default_factory=list)
    # Block Kit blocks sent through the Slack-compatible API, kept as given
    blocks: list[dict[str, Any]] = Field(default_factory=list)


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


class ChannelEvent(Event):
    """An event about one channel: on Kafka it is keyed by the channel id."""

    @property
    def key(self) -> bytes:
        return self.data["channel_id"].encode()


class MessageEvent(ChannelEvent):
    """An event whose ``data`` is a message."""

    @field_validator("data")
    @classmethod
    def _data_is_a_message(cls, data: dict[str, Any]) -> dict[str, Any]:
        Message.model_validate(data)  # a malformed event fails here, as a whole
        return data

    @property
    def message(self) -> Message:
        return Message.model_validate(self.data)


class MessageCreated(MessageEvent):
    type: Literal["message.created"] = MESSAGE_CREATED
    data: dict[str, Any]

    @classmethod
    def of(cls, message: Message, request_id: str | None = None) -> "MessageCreated":
        # The event id is the message id: replays of the same message are one event.
        return cls(event_id=message.id, data=message.model_dump(mode="json"),
                   occurred_at=message.created_at, request_id=request_id)


class MessageChanged(MessageEvent):
    """``message.updated`` / ``message.deleted`` (v1): ``data`` is the message as it
    is after the change. Each change is its own event with its own id."""


class ReactionChanged(ChannelEvent):
    """``reaction.added`` / ``reaction.removed`` (v1): ``data`` is
    ``{"channel_id", "message_id", "user_id", "emoji", "message"}``, the message
    as it is after the change (its ``reactions`` carry the counts)."""

    @field_validator("data")
    @classmethod
    def _data_is_a_reaction(cls, data: dict[str, Any]) -> dict[str, Any]:
        for name in ("channel_id", "message_id", "user_id", "emoji"):
            if not isinstance(data.get(name), str):
                raise ValueError(f"{name} must be a string")
        Message.model_validate(data.get("message"))
        return data


class Receipt(ChannelEvent):
    """``receipt`` (v1, real-time bus only): ``data`` is ``{"channel_id",
    "user_id", "delivered_seq", "read_seq"}``, that member's cursors after one of
    them moved forward."""

    type: Literal["receipt"] = RECEIPT

    @field_validator("data")
    @classmethod
    def _data_is_a_receipt(cls, data: dict[str, Any]) -> dict[str, Any]:
        for name in ("delivered_seq", "read_seq"):
            if not isinstance(data.get(name), int) or data[name] < 0:
                raise ValueError(f"{name} must be a non-negative integer")
        return data


class PresenceChanged(Event):
    """``presence.changed`` (v1, real-time bus only): ``data`` is ``{"user_id",
    "status", "last_seen_at"}``; ``status`` is ``online``, ``away`` or ``offline``."""

    type: Literal["presence.changed"] = PRESENCE_CHANGED

    @field_validator("data")
    @classmethod
    def _data_is_a_status(cls, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("status") not in ("online", "away", "offline"):
            raise ValueError("status must be online, away or offline")
        return data


class UserUpdated(Event):
    """``user.updated`` (v1, real-time bus only): ``data`` is the person's profile as
    ``GET /users/{id}`` shows it, after a change of name, title, time zone, status or
    avatar."""

    type: Literal["user.updated"] = USER_UPDATED

    @field_validator("data")
    @classmethod
    def _data_is_a_profile(cls, data: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(data.get("user_id"), str) or "display_name" not in data:
            raise ValueError("data must be a profile with user_id and display_name")
        return data


class Typing(ChannelEvent):
    """``typing`` (v1, real-time bus only): ``data`` is ``{"channel_id", "user_id",
    "thread_parent_id", "state", "expires_in"}``: ``state`` ``started`` shows the
    person as typing for ``expires_in`` seconds unless repeated; ``stopped`` ends it."""

    type: Literal["typing"] = TYPING

    @field_validator("data")
    @classmethod
    def _data_is_typing(cls, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("state") not in ("started", "stopped"):
            raise ValueError("state must be started or stopped")
        return data


class UnreadChanged(ChannelEvent):
    """``unread.changed`` (v1, real-time bus only, on ``user.<id>`` of the person who
    read): ``data`` is ``{"channel_id", "unread", "mentions", "read_seq",
    "counted_seq"}``, the person's counters in that channel after a read moved their
    cursor (as ``GET /me/unread`` gives them). A new message announces none: clients
    count it when it reaches them."""

    type: Literal["unread.changed"] = UNREAD_CHANGED

    @field_validator("data")
    @classmethod
    def _data_is_counters(cls, data: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(data.get("channel_id"), str):
            raise ValueError("channel_id must be a string")
        for name in ("unread", "mentions", "read_seq", "counted_seq"):
            if not isinstance(data.get(name), int) or data[name] < 0:
                raise ValueError(f"{name} must be a non-negative integer")
        return data
