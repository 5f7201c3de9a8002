"""RTM: ``rtm.connect`` and the socket at its URL (docs/slack-compat.md, RTM).

``rtm.connect`` answers ``{url, self, team}``; ``url`` is this host's
``/slack/rtm?ticket=…`` (tickets.py). The socket sends ``{"type": "hello"}``,
then the Slack events of the actor's conversations (events.py), and answers:

- ``{"type": "ping", "id": N}`` with ``{"type": "pong", "reply_to": N}`` (and any
  other field of the ping, as Slack does); WebSocket pings are answered by Tornado;
- ``{"id": N, "type": "message", "channel", "text", "thread_ts"?}`` by posting it
  (``chat:write``) and answering ``{"ok": true, "reply_to": N, "ts", "text"}``;
- ``{"id": N, "type": "typing", "channel"}`` by showing the actor typing;
- anything else with ``{"ok": false, "reply_to": N, "error": {"code", "msg"}}``.

Frames are answered one at a time, in order; one sent while ``gateway.ws_frame_burst``
frames wait is answered at once with ``{"ok": false, "reply_to": N, "error": {"code":
1, "msg": "ratelimited"}}``.
"""
from __future__ import annotations

import uuid
from typing import Any

from services.common.errors import ParleyError

from . import ids
from .api import Call, message_at, method
from .errors import SlackError
from .ratelimits import TIER2
from .shapes import handle
from .sockets import SlackSocket, socket_url
from .tickets import issue

RTM_PATH = "/slack/rtm"


@method("rtm.connect", TIER2)
async def connect(call: Call) -> dict[str, Any]:
    """The socket's URL (with a single-use ticket valid for 30 s), ``self`` and ``team``."""
    profile = await call.rpc("users", "get", call.me)
    view = await call.view(profiles=[profile])
    ticket = await issue(call.gateway, call.actor, "rtm")
    name = call.gateway.cfg["workspace.name"]
    return {"url": socket_url(call.handler, RTM_PATH, ticket),
            "self": {"id": ids.user_id(call.me), "name": handle(profile, view.bots.get(call.me))},
            "team": {"id": call.team_id, "name": name,
                     "domain": "".join(c for c in name.lower() if c.isalnum()) or "parley"}}


class RtmSocket(SlackSocket):
    purpose = "rtm"

    async def greet(self) -> None:
        self.send({"type": "hello"})

    async def emit(self, event: dict[str, Any], bus_event: dict[str, Any]) -> None:
        self.send(event)

    async def on_frame(self, frame: dict | None) -> None:
        if frame is None:
            self.send({"ok": False, "error": {"code": 2, "msg": "message was not valid JSON"}})
            return
        kind, reply_to = frame.get("type"), frame.get("id")
        if kind == "ping":
            self.send({**{k: v for k, v in frame.items() if k not in ("type", "id")},
                       "type": "pong", "reply_to": reply_to})
            return
        try:
            if kind == "message":
                answer = await self._post(frame)
            elif kind == "typing":
                channel = ids.parley_channel(frame.get("channel"))
                if channel is None:
                    raise SlackError("channel_not_found")
                await self.rpc("presence", "typing", self.actor.user_id, channel, None,
                               "started")
                return
            else:
                raise SlackError("unknown_type")
        except SlackError as error:
            self.send({"ok": False, "reply_to": reply_to,
                       "error": {"code": 1, "msg": error.code}})
            return
        except ParleyError as exc:
            self.send({"ok": False, "reply_to": reply_to,
                       "error": {"code": 1, "msg": exc.code}})
            return
        self.send({"ok": True, "reply_to": reply_to, **answer})

    def on_frame_refused(self, frame: dict | None) -> None:
        answer: dict[str, Any] = {"ok": False, "error": {"code": 1, "msg": "ratelimited"}}
        if frame is not None:
            answer["reply_to"] = frame.get("id")
        self.send(answer)

    async def _post(self, frame: dict) -> dict[str, Any]:
        self.actor.require("chat:write")
        channel = ids.parley_channel(frame.get("channel"))
        text = frame.get("text")
        if channel is None:
            raise SlackError("channel_not_found")
        if not isinstance(text, str) or not text.strip():
            raise SlackError("no_text")
        parent = None
        if frame.get("thread_ts"):
            parent = (await message_at(self.rpc, self.actor.user_id, channel,
                                       frame["thread_ts"], "thread_not_found"))["id"]
        message = await self.rpc("messaging", "send", self.actor.user_id, channel,
                                 f"rtm-{uuid.uuid4().hex}", text, [], parent, False)
        return {"ts": ids.message_ts(message), "text": message["text"]}
