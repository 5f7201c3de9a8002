"""What every real-time socket of the gateway does with the hub (hub.py): listen to
its person's key and channels, follow joins and leaves, hear an event once, and
stop listening when it closes; and how a failure of one is logged (without the
query string, which carries its access token or ticket). Shared by Parley's /ws
(websocket.py) and the Slack-compatible RTM and Socket Mode sockets (slack/rtm.py,
slack/socket_mode.py).

A class using :class:`Listening` has ``self.gateway`` and calls
:meth:`init_listening` before listening.
"""
from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

import structlog

from services.common.events import channel_key, user_key

log = structlog.get_logger(__name__)

RECENT_EVENTS = 256         # event ids remembered per socket to drop repeats


class Listening:
    gateway: Any

    def log_exception(self, typ, value, tb) -> None:
        """Tornado's own would log the whole request, query and token included."""
        log.error("socket_failed", path=self.request.path, exc_info=(typ, value, tb))

    def init_listening(self) -> None:
        self.keys: set[str] = set()
        # an event heard on several keys (presence goes to every shared channel) is
        # handled once
        self._recent: OrderedDict[str, None] = OrderedDict()

    async def listen_to_person(self, user_id: str, channels: list[dict]) -> None:
        """Hear ``user.<id>`` and every channel of ``channels`` (channels.list_for_user)."""
        await self._listen(user_key(user_id))
        for channel in channels:
            await self._listen(channel_key(channel["id"]))

    def follow_membership(self, user_id: str, event: dict[str, Any]) -> None:
        """``user_id`` joined a channel: hear it from now on; left or was removed:
        stop hearing it."""
        data = event.get("data") or {}
        if data.get("user_id") != user_id or "channel_id" not in data:
            return
        if event.get("type") == "member.joined":
            asyncio.create_task(self._listen(channel_key(data["channel_id"])))
        elif event.get("type") == "member.left":
            asyncio.create_task(self._unlisten(channel_key(data["channel_id"])))

    def _heard_before(self, event_id: str | None) -> bool:
        if event_id is None:
            return False
        if event_id in self._recent:
            return True
        self._recent[event_id] = None
        if len(self._recent) > RECENT_EVENTS:
            self._recent.popitem(last=False)
        return False

    async def _listen(self, key: str) -> None:
        if key not in self.keys:
            self.keys.add(key)
            await self.gateway.hub.subscribe(key, self)

    async def _unlisten(self, key: str) -> None:
        if key in self.keys:
            self.keys.discard(key)
            await self.gateway.hub.unsubscribe(key, self)

    async def stop_listening(self) -> None:
        for key in list(self.keys):
            self.keys.discard(key)
            await self.gateway.hub.unsubscribe(key, self)
