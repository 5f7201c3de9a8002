"""``auth.test``: who the token is (https://docs.slack.dev/reference/methods/auth.test)."""
from __future__ import annotations

from typing import Any

from . import ids
from .api import Call, method
from .auth import BOT
from .ratelimits import TIER4
from .shapes import handle


@method("auth.test", TIER4)
async def test(call: Call) -> dict[str, Any]:
    """``url``, ``team``, ``user`` (the handle), ``team_id``, ``user_id``; for a
    bot token also ``bot_id`` (slack_sdk's RTM client needs it), for an app-level
    token ``app_id``."""
    profile = await call.rpc("users", "get", call.me)
    view = await call.view(profiles=[profile])
    answer = {"url": f"{call.base_url}/", "team": call.gateway.cfg["workspace.name"],
              "user": handle(profile, view.bots.get(call.me)), "team_id": call.team_id,
              "user_id": ids.user_id(call.me), "is_enterprise_install": False}
    if call.actor.kind == BOT:
        answer["bot_id"] = ids.bot_id(call.actor.bot_id)
    if call.actor.app_id:
        answer["app_id"] = ids.app_id(call.actor.app_id)
    return answer
