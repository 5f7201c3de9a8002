"""``chat.postMessage``, ``chat.update``, ``chat.delete``, ``chat.getPermalink``
(https://docs.slack.dev/reference/methods?family=chat), on messaging's RPCs."""
from __future__ import annotations

import uuid
from typing import Any

from services.common.errors import Forbidden, InvalidInput

from . import ids, shapes
from .api import Call, method
from .errors import SlackError
from .ratelimits import POST, TIER3, TIER4

MAX_TEXT = 40_000
MAX_BLOCKS = 50


def blocks_of(call: Call) -> list[dict] | None:
    """The ``blocks`` argument: a list of at most 50 objects each with a ``type``
    (``invalid_blocks`` otherwise), or None when not given."""
    value = call.structured("blocks", error="invalid_blocks_format")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_BLOCKS or not all(
            isinstance(b, dict) and isinstance(b.get("type"), str) for b in value):
        raise SlackError("invalid_blocks")
    return value


def text_of(call: Call) -> str:
    text = call.text("text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return text


async def target(call: Call) -> str:
    """The conversation to post in: a ``C``/``D``/``G`` id, a person's ``U`` id (their
    DM with the actor, opened if need be), or a channel's name (``#general``)."""
    value = call.arg("channel")
    found = ids.parley_channel(value)
    if found is not None:
        return found
    person = ids.parley_user(value)
    if person is not None:
        return (await call.rpc("channels", "open_dm", call.me, [person]))["id"]
    if isinstance(value, str) and value.strip("#"):
        name = value.strip().lstrip("#").lower()
        page = await call.rpc("channels", "directory", call.me, prefix=name, limit=20)
        for channel in page["channels"]:
            if channel["name"] == name:
                return channel["id"]
    raise SlackError("channel_not_found")


async def answer_message(call: Call, channel_id: str, message: dict) -> dict:
    view = await call.view(parents=await call.parents_of(channel_id, [message]))
    return shapes.message(message, view)


@method("chat.postMessage", POST, scopes=("chat:write",), per_channel="channel")
async def post_message(call: Call) -> dict[str, Any]:
    """Text and/or blocks (stored and returned as given), in a thread with
    ``thread_ts`` (``reply_broadcast`` shows it in the channel too). A
    ``client_msg_id`` makes a retry return the message already posted."""
    text, blocks = text_of(call), blocks_of(call)
    if not text.strip() and not blocks:
        raise SlackError("no_text")
    channel_id = await target(call)
    parent_id = None
    if call.arg("thread_ts") is not None:
        parent = await call.message_at(channel_id, call.arg("thread_ts"),
                                       missing="thread_not_found")
        parent_id = parent.get("thread_parent_id") or parent["id"]
    client_msg_id = call.text("client_msg_id") or uuid.uuid4().hex
    if len(client_msg_id) > 64:
        raise SlackError("invalid_arguments")
    extra = {"blocks": blocks} if blocks else {}
    try:
        message = await call.rpc("messaging", "send", call.me, channel_id, client_msg_id,
                                 text=text, thread_parent_id=parent_id,
                                 also_to_channel=bool(parent_id) and call.flag("reply_broadcast"),
                                 **extra)
    except Forbidden:
        raise await call.refusal(channel_id) from None
    except InvalidInput as exc:
        if "needs text" in exc.message:
            raise SlackError("no_text") from None
        raise
    return {"channel": ids.channel_id_of(channel_id, (await kind_of(call, channel_id))),
            "ts": ids.message_ts(message), "message": await answer_message(call, channel_id,
                                                                           message)}


async def kind_of(call: Call, channel_id: str) -> str:
    """The kind of a conversation given by id, for its Slack id's letter."""
    given = call.arg("channel")
    if isinstance(given, str) and ids.parley_channel(given) == channel_id:
        return {"C": "public", "D": "dm", "G": "group_dm"}[given[0]]
    return (await call.rpc("channels", "get", call.me, channel_id))["kind"]


async def own_message(call: Call) -> tuple[str, dict]:
    channel_id = call.channel_arg()
    message = await call.message_at(channel_id, call.arg("ts"))
    if message.get("deleted_at"):
        raise SlackError("message_not_found")
    return channel_id, message


@method("chat.update", TIER3, scopes=("chat:write",), not_found="message_not_found")
async def update(call: Call) -> dict[str, Any]:
    """The author changes a message's text (and blocks)."""
    channel_id, message = await own_message(call)
    if message["sender_id"] != call.me:
        raise SlackError("cant_update_message")
    text, blocks = text_of(call), blocks_of(call)
    if not text.strip() and not blocks:
        raise SlackError("no_text")
    extra = {"blocks": blocks} if blocks is not None else {}
    try:
        changed = await call.rpc("messaging", "edit", call.me, channel_id, message["id"],
                                 text, **extra)
    except Forbidden:
        raise await call.refusal(channel_id) from None
    ts = ids.message_ts(changed)
    return {"channel": call.arg("channel"), "ts": ts, "text": changed["text"],
            "message": await answer_message(call, channel_id, changed)}


@method("chat.delete", TIER3, scopes=("chat:write",), not_found="message_not_found")
async def delete(call: Call) -> dict[str, Any]:
    """The author (or an owner or admin) deletes a message: a tombstone is left."""
    channel_id, message = await own_message(call)
    try:
        await call.rpc("messaging", "delete", call.me, channel_id, message["id"])
    except Forbidden as exc:
        if "archived" in exc.message:
            raise SlackError("is_archived") from None
        raise SlackError("cant_delete_message") from None
    return {"channel": call.arg("channel"), "ts": call.arg("ts")}


@method("chat.getPermalink", TIER4, not_found="message_not_found")
async def get_permalink(call: Call) -> dict[str, Any]:
    """A link to the message, in Slack's form under this server's address."""
    channel_id = call.channel_arg()
    message = await call.message_at(channel_id, call.arg("message_ts"))
    ts = ids.message_ts(message)
    slack_channel = call.arg("channel")
    return {"channel": slack_channel,
            "permalink": f"{call.base_url}/archives/{slack_channel}/p{ts.replace('.', '')}"}
