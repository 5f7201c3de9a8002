"""``pins.add``, ``pins.remove``, ``pins.list`` for messages
(https://docs.slack.dev/reference/methods?family=pins), on messaging.pin/pins."""
from __future__ import annotations

from typing import Any

from services.common.errors import Forbidden

from . import ids, shapes
from .api import Call, method
from .errors import SlackError
from .ratelimits import TIER2


async def pin(call: Call, pinned: bool) -> dict[str, Any]:
    channel_id = call.channel_arg()
    message = await call.message_at(channel_id, call.arg("timestamp"))
    if message.get("deleted_at"):
        raise SlackError("message_not_found")
    if bool(message.get("pinned")) == pinned:
        raise SlackError("already_pinned" if pinned else "no_pin")
    try:
        await call.rpc("messaging", "pin", call.me, channel_id, message["id"], pinned=pinned)
    except Forbidden:
        raise await call.refusal(channel_id) from None
    return {}


@method("pins.add", TIER2, scopes=("pins:write",), not_found="message_not_found")
async def add(call: Call) -> dict[str, Any]:
    return await pin(call, True)


@method("pins.remove", TIER2, scopes=("pins:write",), not_found="message_not_found")
async def remove(call: Call) -> dict[str, Any]:
    return await pin(call, False)


@method("pins.list", TIER2, scopes=("pins:read",))
async def list_(call: Call) -> dict[str, Any]:
    """The channel's pinned messages, the newest pin first."""
    channel_id = call.channel_arg()
    pinned = await call.rpc("messaging", "pins", call.me, channel_id)
    view = await call.view(parents=await call.parents_of(channel_id, pinned))
    slack_channel = call.arg("channel")
    return {"items": [{"type": "message", "created": int(ids.epoch(m["pinned_at"]))
                       if m.get("pinned_at") else 0,
                       "created_by": ids.user_id(m["pinned_by"]) if m.get("pinned_by") else "",
                       "channel": slack_channel, "message": shapes.message(m, view)}
                      for m in pinned]}
