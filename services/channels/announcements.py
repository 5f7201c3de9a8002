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


def audience_changed(event: Event) -> dict | None:
    """What services that remember a channel's people must forget after ``event``
    (services/common/channel_memory.py): ``{"channel_id", "user_id"}`` when someone
    joined or left (or was removed), ``{"channel_id", "user_id": None}`` when the
    channel itself changed (renamed, archived, unarchived, a new topic)."""
    data = event.data
    if event.type in ("member.joined", "member.left"):
        return {"channel_id": data["channel_id"], "user_id": data["user_id"]}
    if event.type == "channel.updated":
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
