"""What the channels service says on the real-time bus (docs/api/events.md), as
(routing key, event) pairs for the service to publish after it committed."""
from __future__ import annotations

from services.common.events import Event, Receipt, channel_key, user_key

Announcement = tuple[str, Event]


def member_joined(channel_id: str, user_id: str) -> list[Announcement]:
    """To the channel's members, and to the joiner's own sockets, which are not
    listening to the channel yet and start on hearing it."""
    event = Event(type="member.joined", data={"channel_id": channel_id, "user_id": user_id})
    return [(channel_key(channel_id), event), (user_key(user_id), event)]


def member_left(channel_id: str, user_id: str, removed_by: str | None = None) -> list[Announcement]:
    """To the channel's members: the one who left is still among the listeners when
    it is published, hears it once, and their sockets stop listening on hearing it."""
    event = Event(type="member.left", data={"channel_id": channel_id, "user_id": user_id,
                                            "removed_by": removed_by})
    return [(channel_key(channel_id), event)]


def channel_updated(channel: dict, changed: list[str], by: str | None) -> list[Announcement]:
    """A rename, topic, purpose, archive or unarchive; ``channel`` is the channel as
    it is now, ``changed`` the fields that changed."""
    event = Event(type="channel.updated",
                  data={"channel_id": channel["id"], "changed": changed, "by": by,
                        "channel": channel})
    return [(channel_key(channel["id"]), event)]


def posting_rights_changed(event: Event) -> dict | None:
    """What messaging must forget of who may post (services/messaging/posting_rights.py)
    after ``event``: ``{"channel_id", "user_id"}`` when someone left or was removed,
    ``{"channel_id", "user_id": None}`` (everyone) when the channel was archived or
    unarchived (it remembers only a "yes": forgetting one more costs one question)."""
    data = event.data
    if event.type == "member.left":
        return {"channel_id": data["channel_id"], "user_id": data["user_id"]}
    if event.type == "channel.updated" and "archived_at" in data["changed"]:
        return {"channel_id": data["channel_id"], "user_id": None}
    return None


def receipt(channel, user_id: str, delivered_seq: int, read_seq: int) -> list[Announcement]:
    """A member's cursors moved: told to a DM's or group DM's people, so that a
    sender sees "delivered" and "seen" live. Channels announce nothing: their
    receipts are counts, asked for (pushing every member's cursor to every member
    would cost members² frames and show per person what channels show as counts)."""
    if not channel.is_conversation:
        return []
    event = Receipt(data={"channel_id": channel.id, "user_id": user_id,
                          "delivered_seq": delivered_seq, "read_seq": read_seq})
    return [(channel_key(channel.id), event)]
