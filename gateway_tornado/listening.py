"""What every real-time socket of the gateway does with the hub (hub.py): listen to
its person's key and channels, follow joins and leaves, hear an event once, and
stop listening when it closes; how it handles the frames its client sends (on its
own task, one at a time, in order); and how a failure of one is logged (without
the query string, which carries its access token or ticket). Shared by Parley's
/ws (websocket.py) and the Slack-compatible RTM and Socket Mode sockets
(slack/rtm.py, slack/socket_mode.py).

A class using :class:`Listening` has ``self.gateway``, calls
:meth:`init_listening` before listening and :meth:`init_frames` before its first
frame, implements :meth:`handle_queued`, and calls :meth:`stop_frames` when it
closes.
"""
from __future__ import annotations

import asyncio
import sys
from collections import OrderedDict
from typing import Any

import structlog

from services.common.events import channel_key, user_key
from services.common.metrics import RATE_LIMIT_REJECTIONS

log = structlog.get_logger(__name__)

RECENT_EVENTS = 256         # event ids remembered per socket to drop repeats
CLOSE_INTERNAL_ERROR = 1011    # a frame's handling failed unexpectedly (a bug)


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

    # -- frames from the client ------------------------------------------------------
    def init_frames(self, max_waiting: int) -> None:
        """Frames are handled by this socket's own task (made at the first frame),
        one at a time, in order; at most ``max_waiting`` wait for it.

        The socket's ``on_message`` only queues them (:meth:`queue_frame`) and is
        not a coroutine on purpose: Tornado reads the next frame (and the pongs
        answering its keep-alive pings) only once on_message is done, so a handler
        waiting on a busy service kept the pong unread, and Tornado closed the live
        socket as "ping timed out" (code 1000) — 947 of them in one reconnect storm
        of /ws, each of which then reconnected."""
        self._inbox: asyncio.Queue = asyncio.Queue()   # frames read, not yet handled
        self._max_waiting = max_waiting
        self._serving: asyncio.Task | None = None       # the task handling them

    def queue_frame(self, item: Any, even_if_full: bool = False) -> bool:
        """Queue ``item`` for :meth:`handle_queued`. False (and counted as a rate
        limit refusal) when ``max_waiting`` items already wait: the caller refuses
        the frame at once, so that the queue stays bounded however far behind the
        services are. ``even_if_full``: queued anyway (an answer that must keep its
        place in order, such as a rate refusal)."""
        if not even_if_full and self._inbox.qsize() >= self._max_waiting:
            RATE_LIMIT_REJECTIONS.labels("socket").inc()
            return False
        self._inbox.put_nowait(item)
        if self._serving is None:
            self._serving = asyncio.create_task(self._serve_frames())
        return True

    async def handle_queued(self, item: Any) -> None:
        """Handle one item queued by :meth:`queue_frame` (on the socket's task)."""
        raise NotImplementedError

    def stop_frames(self) -> None:
        """The socket closed: frames not handled yet get no answer (a client sends
        them again after it reconnects)."""
        if self._serving is not None:
            self._serving.cancel()

    async def _serve_frames(self) -> None:
        while True:
            item = await self._inbox.get()
            try:
                await self.handle_queued(item)
            except Exception:   # a bug: say so and end the socket, as Tornado would
                self.log_exception(*sys.exc_info())
                self.close(CLOSE_INTERNAL_ERROR, "something went wrong: reconnect")
                return

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
