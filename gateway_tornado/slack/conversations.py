"""``conversations.*``: channels, private channels, DMs and group DMs
(https://docs.slack.dev/reference/methods?family=conversations), on the
channels service's RPCs (and messaging's for history and replies)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.common.errors import InvalidInput, ParleyError
from services.common.slack_scopes import conversation_scope

from . import ids, shapes
from .api import Call, method, page_meta, uncursor
from .errors import SlackError, invalid_arguments, translate
from .ratelimits import TIER2, TIER3, TIER4

PAGE_MAX = 200          # the services' largest page; Slack allows fewer than `limit`
TYPES = {"public_channel": "public", "private_channel": "private", "im": "dm",
         "mpim": "group_dm"}
NOT_SUPPORTED = "method_not_supported_for_channel_type"


# -- shaping ------------------------------------------------------------------------
async def shaped(call: Call, channel: dict, view: shapes.View | None = None,
                 last_read: str | None = None) -> dict:
    """A conversation in Slack's shape; a DM names its other person and a group DM
    its people (one members call each)."""
    view = view or await call.view()
    if channel["kind"] not in ("dm", "group_dm"):
        return shapes.conversation(channel, view, last_read=last_read)
    page = await call.rpc("channels", "members", call.me, channel["id"], limit=PAGE_MAX)
    others = [u for u in page["members"] if u != call.me]
    return shapes.conversation(channel, view, other_user=others[0] if others else call.me,
                               members=page["members"], last_read=last_read)


async def last_read_ts(call: Call, channel: dict) -> str | None:
    """The ts of the actor's last read message (``0000000000.000000``: none yet)."""
    membership = channel.get("membership")
    if membership is None:
        return None
    seq = int(membership.get("last_read_seq") or 0)
    found = await call.rpc("messaging", "history", call.me, channel["id"], after=seq - 1,
                           limit=1) if seq else []
    return ids.message_ts(found[0]) if found and found[0]["seq"] == seq else "0000000000.000000"


async def fresh(call: Call, channel_id: str) -> dict:
    return await call.rpc("channels", "get", call.me, channel_id)


def check_name(name: str) -> str:
    if not name:
        raise invalid_arguments("missing required field: name")
    return name


async def named(call: Call, coroutine) -> Any:
    """A channels call that takes a name: bad names are ``invalid_name``."""
    try:
        return await coroutine
    except InvalidInput as exc:
        if "name" in exc.message.lower():
            raise SlackError("invalid_name", detail=exc.message) from None
        raise


# -- creating, joining, leaving -----------------------------------------------------
@method("conversations.create", TIER2)
async def create(call: Call) -> dict[str, Any]:
    is_private = call.flag("is_private")
    call.actor.require(conversation_scope("private" if is_private else "public", "write"))
    channel = await named(call, call.rpc("channels", "create", call.me,
                                         check_name(call.text("name")), is_private))
    return {"channel": await shaped(call, channel)}


@method("conversations.invite", TIER3)
async def invite(call: Call) -> dict[str, Any]:
    channel = await call.conversation(need="write")
    slack_users = call.id_list("users")
    if not slack_users:
        raise invalid_arguments("missing required field: users")
    people = [ids.parley_user(u) for u in slack_users]
    if None in people:
        raise SlackError("user_not_found")
    if call.me in people:
        raise SlackError("cant_invite_self")
    if channel["kind"] == "dm":
        raise SlackError(NOT_SUPPORTED)
    if channel["membership"] is None:
        raise SlackError("not_in_channel")
    done = await call.rpc("channels", "invite", call.me, channel["id"], people)
    if not done["added"]:
        raise SlackError("already_in_channel")
    return {"channel": await shaped(call, await fresh(call, channel["id"]))}


@method("conversations.join", TIER3, scopes=("channels:join",))
async def join(call: Call) -> dict[str, Any]:
    channel = await call.conversation(need="read")
    if channel["kind"] != "public":
        raise SlackError(NOT_SUPPORTED if channel["kind"] != "private" else "channel_not_found")
    if channel.get("archived_at"):
        raise SlackError("is_archived")
    done = await call.rpc("channels", "join", call.me, channel["id"])
    answer: dict[str, Any] = {"channel": await shaped(call, await fresh(call, channel["id"]))}
    if not done["joined"]:
        answer.update(warning="already_in_channel",
                      response_metadata={"warnings": ["already_in_channel"]})
    return answer


@method("conversations.leave", TIER3)
async def leave(call: Call) -> dict[str, Any]:
    channel = await call.conversation(need="write")
    if channel["kind"] == "dm":
        raise SlackError(NOT_SUPPORTED)
    if channel["membership"] is None:
        return {"not_in_channel": True}
    await call.rpc("channels", "leave", call.me, channel["id"])
    return {}


@method("conversations.kick", TIER3)
async def kick(call: Call) -> dict[str, Any]:
    channel = await call.conversation(need="write")
    user = ids.parley_user(call.arg("user"))
    if user is None:
        raise SlackError("user_not_found")
    if user == call.me:
        raise SlackError("cant_kick_self")
    if channel["kind"] in ("dm", "group_dm"):
        raise SlackError(NOT_SUPPORTED)
    if channel["membership"] is None:
        raise SlackError("not_in_channel")
    done = await call.rpc("channels", "remove", call.me, channel["id"], user)
    if not done["removed"]:
        raise SlackError("not_in_channel")
    return {}


@method("conversations.open", TIER3)
async def open_(call: Call) -> dict[str, Any]:
    """A DM (one other person) or group DM (2–7 others), found or created; or an
    existing one by ``channel``. ``return_im`` answers the whole conversation."""
    if call.arg("channel") is not None:
        channel = await call.conversation(need="read")
        created = False
    else:
        slack_users = call.id_list("users")
        people = [ids.parley_user(u) for u in slack_users]
        if not people:
            raise SlackError("users_list_not_supplied")
        if None in people:
            raise SlackError("user_not_found")
        others = set(people) - {call.me}
        call.actor.require(conversation_scope("dm" if len(others) <= 1 else "group_dm",
                                              "write"))
        try:
            channel = await call.rpc("channels", "open_dm", call.me, people)
        except InvalidInput as exc:
            if "at most" in exc.message:
                raise SlackError("too_many_users") from None
            if "at least one other" in exc.message:
                raise SlackError("not_enough_users") from None
            raise
        except ParleyError as exc:
            raise translate(exc, "user_not_found") from None
        created = bool(channel.pop("created", False))
    if call.flag("return_im"):
        answer: dict[str, Any] = {"channel": await shaped(call, channel)}
    else:
        answer = {"channel": {"id": ids.channel_id(channel)}}
    if not created:
        answer.update(no_op=True, already_open=True)
    return answer


# -- reading --------------------------------------------------------------------------
@method("conversations.info", TIER3)
async def info(call: Call) -> dict[str, Any]:
    channel = await call.conversation(need="read")
    return {"channel": await shaped(call, channel, last_read=await last_read_ts(call, channel))}


def requested_types(call: Call) -> list[str]:
    names = call.id_list("types") or ["public_channel"]
    unknown = [n for n in names if n not in TYPES]
    if unknown:
        raise SlackError("invalid_types")
    kinds = [TYPES[n] for n in names]
    call.actor.require(*dict.fromkeys(conversation_scope(kind, "read") for kind in kinds))
    return kinds


@method("conversations.list", TIER2)
async def list_(call: Call) -> dict[str, Any]:
    """Channels the actor may find (public ones, and private ones they are in) a
    page at a time, then their DMs and group DMs; ``types`` and
    ``exclude_archived`` filter. The cursor says which of the two and where."""
    kinds = requested_types(call)
    exclude_archived = call.flag("exclude_archived")
    limit = call.integer("limit", 100, 1, PAGE_MAX)
    position = uncursor(call.arg("cursor")) if call.arg("cursor") else {"p": "d", "c": None}
    if not isinstance(position, dict) or position.get("p") not in ("d", "m"):
        raise SlackError("invalid_cursor")
    view = await call.view()
    found: list[dict] = []
    next_position: dict | None = None
    if position["p"] == "d":
        if {"public", "private"} & set(kinds):
            page = await call.rpc("channels", "directory", call.me, cursor=position.get("c"),
                                  limit=limit, include_archived=not exclude_archived)
            found = [c for c in page["channels"] if c["kind"] in kinds]
            if page["next_cursor"]:
                next_position = {"p": "d", "c": page["next_cursor"]}
        if next_position is None and {"dm", "group_dm"} & set(kinds):
            next_position = {"p": "m", "o": 0}
        if found or next_position is None or next_position["p"] == "d":
            shaped_found = await asyncio.gather(*(shaped(call, c, view) for c in found))
            return {"channels": list(shaped_found), **page_meta(next_position)}
        position = next_position
    offset = position.get("o", 0)
    if not isinstance(offset, int) or offset < 0:
        raise SlackError("invalid_cursor")
    mine = [c for c in await call.rpc("channels", "list_for_user", call.me)
            if c["kind"] in kinds and c["kind"] in ("dm", "group_dm")
            and not (exclude_archived and c.get("archived_at"))]
    mine.sort(key=lambda c: (c.get("created_at") or "", c["id"]))
    window = mine[offset:offset + limit]
    more = offset + limit < len(mine)
    shaped_found = await asyncio.gather(*(shaped(call, c, view) for c in window))
    return {"channels": list(shaped_found),
            **page_meta({"p": "m", "o": offset + limit} if more else None)}


@method("conversations.members", TIER4)
async def members(call: Call) -> dict[str, Any]:
    channel = await call.conversation(need="read")
    limit = call.integer("limit", 100, 1, PAGE_MAX)
    inner = uncursor(call.arg("cursor")) if call.arg("cursor") else None
    if inner is not None and not isinstance(inner, str):
        raise SlackError("invalid_cursor")
    try:
        page = await call.rpc("channels", "members", call.me, channel["id"], cursor=inner,
                              limit=limit)
    except InvalidInput:
        raise SlackError("invalid_cursor") from None
    return {"members": [ids.user_id(u) for u in page["members"]],
            **page_meta(page["next_cursor"] or None)}


# -- history and threads --------------------------------------------------------------
@dataclass(frozen=True)
class Bound:
    """An ``oldest`` or ``latest`` bound. The ts of a message of the channel bounds
    exactly (``inclusive`` says whether that message is in); any other time counts
    in whole seconds, its own second inside (a ts's fraction is a seq, not a
    fraction of a second, see ids.py)."""

    value: Decimal
    exact: bool
    inclusive: bool

    def _key(self, message: dict) -> Decimal:
        ts = ids.message_ts(message)
        return ids.ts_value(ts) if self.exact else Decimal(ts.split(".")[0])

    def after_lower(self, message: dict) -> bool:
        here = self._key(message)
        return here > self.value or (here == self.value and (self.inclusive or not self.exact))

    def before_upper(self, message: dict) -> bool:
        here = self._key(message)
        return here < self.value or (here == self.value and (self.inclusive or not self.exact))


async def bound(call: Call, channel_id: str, name: str, inclusive: bool) -> Bound | None:
    raw = call.arg(name)
    if raw is None:
        return None
    value = ids.ts_value(raw)
    if value is None:
        raise SlackError(f"invalid_ts_{name}")
    if ids.seq_of_ts(raw) is not None:
        try:
            await call.message_at(channel_id, raw)
            return Bound(value, True, inclusive)
        except SlackError:
            pass
    return Bound(Decimal(int(value)), False, inclusive)


def in_channel_view(message: dict) -> bool:
    """What conversations.history lists: not thread replies (unless also sent to
    the channel), not tombstones (unless they keep a thread)."""
    if message.get("thread_parent_id") and not message.get("also_to_channel"):
        return False
    return not message.get("deleted_at") or bool(message.get("reply_count"))


def inside(message: dict, oldest: Bound | None, latest: Bound | None) -> bool:
    return (oldest is None or oldest.after_lower(message)) and \
        (latest is None or latest.before_upper(message))


async def first_seq(call: Call, channel_id: str, head: int, holds) -> int:
    """The lowest seq whose message ``holds`` (false below some seq, true from it
    on: times grow with seq), by bisection: about log2(head) one-slot reads.
    ``head + 1`` when none does."""
    low, high = 1, head + 1
    while low < high:
        middle = (low + high) // 2
        page = await call.rpc("messaging", "history", call.me, channel_id, after=middle - 1,
                              limit=1)
        if not page or holds(page[0]):
            high = middle
        else:
            low = middle + 1
    return low


@method("conversations.history", TIER3)
async def history(call: Call) -> dict[str, Any]:
    """Newest first, within ``oldest``/``latest`` (``inclusive``), ``limit`` at a
    time (at most 200 here); ``has_more`` and a cursor while more are left."""
    channel = await call.conversation(need="history")
    limit = call.integer("limit", 100, 1, PAGE_MAX)
    inclusive = call.flag("inclusive")
    oldest = await bound(call, channel["id"], "oldest", inclusive)
    latest = await bound(call, channel["id"], "latest", inclusive)
    top = await call.rpc("messaging", "history", call.me, channel["id"], limit=1)
    head = top[-1]["seq"] if top else 0
    before = head + 1
    if call.arg("cursor"):
        before = uncursor(call.arg("cursor"))
        if not isinstance(before, int) or before < 1:
            raise SlackError("invalid_cursor")
    elif latest is not None:
        before = min(before, await first_seq(call, channel["id"], head,
                                             lambda m: not latest.before_upper(m)))
    floor = 1 if oldest is None else \
        await first_seq(call, channel["id"], head, oldest.after_lower)
    kept: list[dict] = []
    while before > floor and len(kept) <= limit:
        size = min(PAGE_MAX, before - floor)
        page = await call.rpc("messaging", "history", call.me, channel["id"], before=before,
                              limit=size, order="newest")
        if not page:
            break
        kept += [m for m in page if m["seq"] >= floor and in_channel_view(m)
                 and inside(m, oldest, latest)]
        before = page[-1]["seq"]
    more = len(kept) > limit
    kept = kept[:limit]
    view = await call.view(parents=await call.parents_of(channel["id"], kept))
    answer: dict[str, Any] = {"messages": [shapes.message(m, view) for m in kept],
                              "has_more": more, "pin_count": 0,
                              "channel_actions_ts": None, "channel_actions_count": 0}
    answer.update(page_meta(kept[-1]["seq"] if more else None))
    return answer


@method("conversations.replies", TIER3)
async def replies(call: Call) -> dict[str, Any]:
    """The thread of ``ts``: its parent first (on the first page), then the
    replies oldest first, ``limit`` at a time."""
    channel = await call.conversation(need="history")
    message = await call.message_at(channel["id"], call.arg("ts"), missing="thread_not_found")
    if message.get("thread_parent_id"):
        message = await call.rpc("messaging", "get", call.me, channel["id"],
                                 message["thread_parent_id"])
    limit = call.integer("limit", 1000, 1, PAGE_MAX - 1)   # one more is read: has_more
    inclusive = call.flag("inclusive", True)
    oldest = await bound(call, channel["id"], "oldest", inclusive)
    latest = await bound(call, channel["id"], "latest", inclusive)
    after = None
    if call.arg("cursor"):
        after = uncursor(call.arg("cursor"))
        if not isinstance(after, int) or after < 0:
            raise SlackError("invalid_cursor")
    page = await call.rpc("messaging", "thread", call.me, channel["id"], message["id"],
                          after=after, limit=limit + 1) if message.get("reply_count") else []
    more = len(page) > limit
    page = page[:limit]
    shown = [m for m in page if not m.get("deleted_at") and inside(m, oldest, latest)]
    latest_reply = {message["id"]: ids.message_ts(page[-1])} if page and not more else {}
    view = await call.view(parents={message["id"]: message}, latest_reply=latest_reply)
    out = ([shapes.message(message, view)] if after is None else []) + \
        [shapes.message(m, view) for m in shown]
    return {"messages": out, "has_more": more, **page_meta(page[-1]["seq"] if more else None)}


# -- changing -------------------------------------------------------------------------
async def writable(call: Call) -> dict:
    """A conversation the actor may change: not a DM (``method_not_supported_for_
    channel_type``), and a member (``not_in_channel``)."""
    channel = await call.conversation(need="write")
    if channel["kind"] in ("dm", "group_dm"):
        raise SlackError(NOT_SUPPORTED)
    if channel["membership"] is None:
        raise SlackError("not_in_channel")
    return channel


@method("conversations.archive", TIER2)
async def archive(call: Call) -> dict[str, Any]:
    channel = await writable(call)
    if channel.get("archived_at"):
        raise SlackError("already_archived")
    await call.rpc("channels", "archive", call.me, channel["id"])
    return {}


@method("conversations.rename", TIER2)
async def rename(call: Call) -> dict[str, Any]:
    channel = await writable(call)
    changed = await named(call, call.rpc("channels", "update", call.me, channel["id"],
                                         name=check_name(call.text("name"))))
    return {"channel": await shaped(call, changed)}


async def set_text(call: Call, field: str) -> dict[str, Any]:
    channel = await call.conversation(need="write")
    if channel["kind"] == "dm" and field == "purpose":
        raise SlackError(NOT_SUPPORTED)
    if channel["membership"] is None:
        raise SlackError("not_in_channel")
    value = call.text(field)
    if len(value) > 250:
        raise SlackError("too_long")
    changed = await call.rpc("channels", "update", call.me, channel["id"], **{field: value})
    return {"channel": await shaped(call, changed), field: value}


@method("conversations.setTopic", TIER2)
async def set_topic(call: Call) -> dict[str, Any]:
    return await set_text(call, "topic")


@method("conversations.setPurpose", TIER2)
async def set_purpose(call: Call) -> dict[str, Any]:
    return await set_text(call, "purpose")


@method("conversations.mark", TIER3)
async def mark(call: Call) -> dict[str, Any]:
    """Move the actor's read cursor to the message ``ts`` (forward only)."""
    channel = await call.conversation(need="write")
    seq = ids.seq_of_ts(call.arg("ts"))
    if seq is None:
        raise SlackError("invalid_timestamp")
    if channel["membership"] is None:
        raise SlackError("not_in_channel")
    await call.rpc("channels", "mark_read", call.me, channel["id"], seq)
    return {}
