"""``users.list``, ``users.info``, ``users.lookupByEmail``, ``users.getPresence``,
``users.setPresence`` (https://docs.slack.dev/reference/methods?family=users), on
the users and presence services (and auth for the address lookup)."""
from __future__ import annotations

from typing import Any

from services.common.errors import InvalidInput, NotFound

from . import ids, shapes
from .api import Call, method, page_meta, uncursor
from .errors import SlackError
from .ratelimits import TIER2, TIER3, TIER4

PAGE_MAX = 200


async def profile_of(call: Call, user_id: str | None, missing: str = "user_not_found") -> dict:
    if user_id is None:
        raise SlackError(missing)
    try:
        return await call.rpc("users", "profile", call.me, user_id)
    except NotFound:
        raise SlackError(missing) from None


@method("users.list", TIER2, scopes=("users:read",))
async def list_(call: Call) -> dict[str, Any]:
    """Everyone active in the workspace, bots included, a page at a time."""
    limit = call.integer("limit", 100, 1, PAGE_MAX)
    inner = uncursor(call.arg("cursor")) if call.arg("cursor") else None
    if inner is not None and not isinstance(inner, str):
        raise SlackError("invalid_cursor")
    try:
        page = await call.rpc("users", "directory", call.me, cursor=inner, limit=limit)
    except InvalidInput:
        raise SlackError("invalid_cursor") from None
    view = await call.view(profiles=page["users"])
    return {"members": [shapes.user(p, view) for p in page["users"]],
            "cache_ts": shapes.now_epoch(), **page_meta(page["next_cursor"] or None)}


@method("users.info", TIER4, scopes=("users:read",), not_found="user_not_found")
async def info(call: Call) -> dict[str, Any]:
    found = await profile_of(call, ids.parley_user(call.arg("user")))
    return {"user": shapes.user(found, await call.view(profiles=[found]))}


@method("users.lookupByEmail", TIER3, scopes=("users:read.email",),
        not_found="users_not_found")
async def lookup_by_email(call: Call) -> dict[str, Any]:
    email = call.text("email")
    if not email:
        raise SlackError("invalid_arguments")
    try:
        account = await call.rpc("auth", "user_by_email", email)
    except (NotFound, InvalidInput):
        raise SlackError("users_not_found") from None
    found = await profile_of(call, account["user_id"], missing="users_not_found")
    return {"user": shapes.user(found, await call.view(profiles=[found]))}


@method("users.getPresence", TIER3, scopes=("users:read",), not_found="user_not_found")
async def get_presence(call: Call) -> dict[str, Any]:
    """``active`` when online, else ``away``; about oneself also ``online``,
    ``manual_away`` (away while online devices exist) and ``last_activity``."""
    user_id = ids.parley_user(call.arg("user")) if call.arg("user") else call.me
    await profile_of(call, user_id)
    status = (await call.rpc("presence", "get", [user_id]))[user_id]
    answer: dict[str, Any] = {"presence": "active" if status["status"] == "online" else "away"}
    if user_id == call.me:
        seen = status.get("last_seen_at")
        answer.update(online=status["status"] != "offline", auto_away=False,
                      manual_away=status["status"] == "away",
                      connection_count=0 if status["status"] == "offline" else 1,
                      last_activity=int(ids.epoch(seen)) if seen else 0)
    return answer


@method("users.setPresence", TIER2, scopes=("users:write",))
async def set_presence(call: Call) -> dict[str, Any]:
    presence = call.text("presence")
    if presence not in ("auto", "away"):
        raise SlackError("invalid_presence")
    await call.rpc("presence", "set_manual", call.me, presence)
    return {}
