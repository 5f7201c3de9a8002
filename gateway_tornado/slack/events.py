"""Parley's real-time bus events as Slack events (RTM and Socket Mode).

:func:`translate` is pure: a bus event (services/common/events.py) and what
shaping needs (:class:`Context`) in, the Slack events out (none for the events
Slack has no counterpart of: receipts, unread counters…). The sockets fetch
what an event does not hold (a reply's thread parent) before calling it.

=====================  ===========================================================
Parley                 Slack
=====================  ===========================================================
message.created        ``message`` (``thread_ts`` for replies, ``bot_id`` for bots)
message.updated        ``message`` / ``message_changed`` (``message``,
                       ``previous_message`` when this socket saw it before)
message.deleted        ``message`` / ``message_deleted`` (``deleted_ts``)
reaction.added/removed ``reaction_added`` / ``reaction_removed``
member.joined          ``member_joined_channel``
typing (started)       ``user_typing``
presence.changed       ``presence_change`` (``active`` when online, else ``away``)
=====================  ===========================================================
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from . import ids, shapes

REMEMBERED = 500   # messages remembered per socket, for previous_message


@dataclass
class Context:
    """What translating needs besides the event."""

    view: shapes.View                                   # team id, bots, thread parents
    kinds: dict[str, str] = field(default_factory=dict)   # channel id -> kind
    # the last shape of messages seen, by (channel, ts), for previous_message
    seen: OrderedDict = field(default_factory=OrderedDict)

    def channel(self, channel_id: str) -> str:
        return ids.channel_id_of(channel_id, self.kinds.get(channel_id, "public"))

    def remember(self, channel: str, shaped: dict) -> dict | None:
        """Keep ``shaped`` as the message's last shape; the one before, if any."""
        key = (channel, shaped["ts"])
        before = self.seen.pop(key, None)
        self.seen[key] = shaped
        while len(self.seen) > REMEMBERED:
            self.seen.popitem(last=False)
        return before


def event_ts(event: dict[str, Any]) -> str:
    """When the event happened, as a Slack ``event_ts``."""
    occurred = event.get("occurred_at")
    return f"{ids.epoch(occurred) if occurred else time.time():.6f}"


def translate(event: dict[str, Any], context: Context) -> list[dict[str, Any]]:
    kind, data = event.get("type"), event.get("data") or {}
    handler = _TRANSLATORS.get(kind)
    return handler(event, data, context) if handler is not None else []


def _message(event: dict, msg: dict, context: Context) -> list[dict]:
    channel = context.channel(msg["channel_id"])
    shaped = {**shapes.message(msg, context.view), "channel": channel}
    context.remember(channel, shaped)
    return [{**shaped, "event_ts": shaped["ts"]}]


def _changed(event: dict, msg: dict, context: Context) -> list[dict]:
    channel = context.channel(msg["channel_id"])
    shaped = shapes.message(msg, context.view)
    before = context.remember(channel, {**shaped, "channel": channel})
    return [_change(event, "message_changed", channel, before, message=shaped)]


def _deleted(event: dict, msg: dict, context: Context) -> list[dict]:
    channel = context.channel(msg["channel_id"])
    ts = ids.message_ts(msg)
    before = context.seen.pop((channel, ts), None)
    return [_change(event, "message_deleted", channel, before, deleted_ts=ts)]


def _change(event: dict, subtype: str, channel: str, before: dict | None,
            **fields: Any) -> dict:
    """A ``message`` event of ``subtype`` at the change's time, with the message as
    this socket saw it before (``previous_message``) when it did."""
    out = {"type": "message", "subtype": subtype, "hidden": True, "channel": channel,
           **fields, "ts": event_ts(event), "event_ts": event_ts(event)}
    if before is not None:
        out["previous_message"] = {k: v for k, v in before.items() if k != "channel"}
    return out


def _reaction(event: dict, data: dict, context: Context) -> list[dict]:
    msg = data["message"]
    kind = "reaction_added" if event["type"] == "reaction.added" else "reaction_removed"
    return [{"type": kind, "user": ids.user_id(data["user_id"]), "reaction": data["emoji"],
             "item": {"type": "message", "channel": context.channel(data["channel_id"]),
                      "ts": ids.message_ts(msg)},
             "item_user": ids.user_id(msg["sender_id"]), "event_ts": event_ts(event)}]


def _joined(event: dict, data: dict, context: Context) -> list[dict]:
    channel = context.channel(data["channel_id"])
    return [{"type": "member_joined_channel", "user": ids.user_id(data["user_id"]),
             "channel": channel, "channel_type": "G" if channel.startswith("G") else "C",
             "team": context.view.team_id, "event_ts": event_ts(event)}]


def _typing(event: dict, data: dict, context: Context) -> list[dict]:
    if data.get("state", "started") != "started":
        return []
    out = {"type": "user_typing", "channel": context.channel(data["channel_id"]),
           "user": ids.user_id(data["user_id"])}
    return [out]


def _presence(event: dict, data: dict, context: Context) -> list[dict]:
    return [{"type": "presence_change", "user": ids.user_id(data["user_id"]),
             "presence": "active" if data.get("status") == "online" else "away"}]


_TRANSLATORS = {
    "message.created": _message,
    "message.updated": _changed,
    "message.deleted": _deleted,
    "reaction.added": _reaction,
    "reaction.removed": _reaction,
    "member.joined": _joined,
    "typing": _typing,
    "presence.changed": _presence,
}


def thread_parent(event: dict[str, Any]) -> tuple[str, str] | None:
    """(channel id, parent id) when the event's message is a thread reply, whose
    ``thread_ts`` needs its parent (Context.view.parents)."""
    if event.get("type") not in ("message.created", "message.updated", "message.deleted"):
        return None
    msg = event.get("data") or {}
    parent = msg.get("thread_parent_id")
    return (msg["channel_id"], parent) if parent and msg.get("channel_id") else None
