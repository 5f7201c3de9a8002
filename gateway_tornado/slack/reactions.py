"""``reactions.add``, ``reactions.remove``, ``reactions.get`` on messages
(https://docs.slack.dev/reference/methods?family=reactions), on messaging.react."""
from __future__ import annotations

from typing import Any

from services.common.errors import Forbidden, InvalidInput

from . import shapes
from .api import Call, method
from .errors import SlackError
from .ratelimits import TIER2, TIER3


async def target(call: Call) -> tuple[str, dict]:
    channel_id = call.channel_arg()
    if call.arg("file") is not None or call.arg("file_comment") is not None:
        raise SlackError("invalid_arguments")  # reactions on files are not supported
    message = await call.message_at(channel_id, call.arg("timestamp"))
    if message.get("deleted_at"):
        raise SlackError("message_not_found")
    return channel_id, message


def emoji(call: Call) -> str:
    name = call.text("name").strip(":")
    if not name:
        raise SlackError("invalid_name")
    return name


def mine(message: dict, name: str, user_id: str) -> bool:
    return any(r["emoji"] == name and user_id in r["user_ids"]
               for r in message.get("reactions", []))


async def react(call: Call, add: bool) -> dict[str, Any]:
    channel_id, message = await target(call)
    name = emoji(call)
    if mine(message, name, call.me) == add:
        raise SlackError("already_reacted" if add else "no_reaction")
    try:
        await call.rpc("messaging", "react", call.me, channel_id, message["id"], name, add=add)
    except InvalidInput:
        raise SlackError("invalid_name") from None
    except Forbidden:
        raise await call.refusal(channel_id) from None
    return {}


@method("reactions.add", TIER3, scopes=("reactions:write",), not_found="message_not_found")
async def add(call: Call) -> dict[str, Any]:
    return await react(call, True)


@method("reactions.remove", TIER2, scopes=("reactions:write",), not_found="message_not_found")
async def remove(call: Call) -> dict[str, Any]:
    return await react(call, False)


@method("reactions.get", TIER3, scopes=("reactions:read",), not_found="message_not_found")
async def get(call: Call) -> dict[str, Any]:
    channel_id, message = await target(call)
    view = await call.view(parents=await call.parents_of(channel_id, [message]))
    return {"type": "message", "channel": call.arg("channel"),
            "message": shapes.message(message, view)}
