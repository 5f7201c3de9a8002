"""What the Slack sockets (RTM, Socket Mode) share: the ticket check before the
upgrade, listening on the hub like Parley's own /ws (listening.py), and turning
the bus events of the actor's conversations into Slack events (events.py), in
the order they were heard, one at a time; and the client's frames, handled on the
socket's own task in order, as /ws does (listening.py, init_frames).

A subclass says its ``purpose`` (the tickets it accepts), what it sends first
(:meth:`greet`), what it does with each Slack event (:meth:`emit`), with each
frame from the client (:meth:`on_frame`), and with a frame refused because
``gateway.ws_frame_burst`` frames already wait (:meth:`on_frame_refused`).
"""
from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import tornado.web
import tornado.websocket

from services.common.errors import ParleyError
from services.common.logging import bind_request_id, get_logger
from services.common.revocation import SESSION_REVOKED

from ..listening import Listening
from . import ids, shapes, tickets
from .auth import APP, BOT, Actor, resolver
from .events import Context, thread_parent, translate

log = get_logger(__name__)
QUEUE_SIZE = 1000        # bus events waiting to be translated; a socket further behind closes
CLOSE_TOO_SLOW = 4008
CLOSE_TRY_AGAIN_LATER = 1013


class SlackSocket(Listening, tornado.websocket.WebSocketHandler):
    purpose = ""

    def initialize(self, gateway) -> None:
        self.gateway = gateway
        self.actor: Actor | None = None
        self.session_id = uuid.uuid4().hex
        self.init_listening()
        self.context: Context | None = None
        self.init_frames(int(gateway.cfg["gateway.ws_frame_burst"]))
        self._queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        self._worker: asyncio.Task | None = None

    def check_origin(self, origin: str) -> bool:
        return True   # the ticket is the credential

    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Refuse an unknown, expired or used ticket before the upgrade (HTTP 401)."""
        bind_request_id(self.session_id)
        try:
            self.actor = await tickets.redeem(self.gateway, self.get_query_argument("ticket", ""),
                                              self.purpose)
        except ParleyError as exc:
            raise tornado.web.HTTPError(503, exc.message) from None
        if self.actor is None:
            raise tornado.web.HTTPError(401, "unknown or used ticket")
        await super().get(*args, **kwargs)

    async def open(self, *args: Any) -> None:
        try:
            channels = await self.rpc("channels", "list_for_user", self.actor.user_id)
        except ParleyError as exc:   # e.g. a store restarting: the client connects again
            self.close(CLOSE_TRY_AGAIN_LATER, exc.message[:120])
            return
        # among the gateway's sockets: closed when it stops (1001) and when its hub
        # reconnects to RabbitMQ (1012: events may have been missed), and the SDKs
        # reconnect (Socket Mode then gets the envelopes still pending)
        self.gateway.sockets.add(self)
        self.context = Context(view=shapes.View(team_id=self.team_id),
                               kinds={c["id"]: c["kind"] for c in channels})
        # heard from here on; handled (in order) once the greeting is out
        await self.listen_to_person(self.actor.user_id, channels)
        await self.greet()
        self._worker = asyncio.create_task(self._work())

    def on_close(self) -> None:
        self.stop_frames()
        self.gateway.sockets.discard(self)
        if self._worker is not None:
            self._worker.cancel()
        if self.actor is None:
            return
        cleanup = asyncio.create_task(self.stop_listening())
        self.gateway.cleanups.add(cleanup)
        cleanup.add_done_callback(self.gateway.cleanups.discard)

    def on_message(self, raw: str | bytes) -> None:
        """Queue the frame for this socket's own task (not a coroutine, so that
        Tornado goes on reading pongs while a frame waits on a busy service)."""
        if not self.queue_frame(raw):
            self.on_frame_refused(_parsed(raw))

    async def handle_queued(self, raw: str | bytes) -> None:
        await self.on_frame(_parsed(raw))

    # -- for subclasses -------------------------------------------------------------
    async def greet(self) -> None:
        raise NotImplementedError

    async def emit(self, event: dict[str, Any], bus_event: dict[str, Any]) -> None:
        raise NotImplementedError

    async def on_frame(self, frame: dict | None) -> None:
        """Handle a frame from the client (None: not a JSON object), in order."""
        raise NotImplementedError

    def on_frame_refused(self, frame: dict | None) -> None:
        """Too many frames wait on this socket: say so at once (frame as for on_frame)."""
        raise NotImplementedError

    # -- events from the hub --------------------------------------------------------
    def deliver(self, routing_key: str, event: dict[str, Any]) -> None:
        if event.get("type") == SESSION_REVOKED:
            sid = self.actor.claims.get("sid") if self.actor else None
            if sid and sid in (event.get("data") or {}).get("session_ids", ()):
                self.close(4001, "session has ended")
            return
        if self._heard_before(event.get("event_id")):
            return
        self.follow_membership(self.actor.user_id, event)
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.close(CLOSE_TOO_SLOW, "too slow: reconnect")

    async def _work(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._prepare(event)
                for slack_event in translate(event, self.context):
                    await self.emit(slack_event, event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("slack_event_failed", event_type=event.get("type"))

    async def _prepare(self, event: dict[str, Any]) -> None:
        """Fetch what translating ``event`` needs: the bots (cached by the token
        resolver; asked again if a bot's own socket does not find itself there, so
        its own messages carry its bot_id at once), a reply's thread parent, a
        channel just joined's kind."""
        mine = (self.actor.user_id,) if self.actor.kind in (BOT, APP) else ()
        self.context.view.bots = await resolver(self.gateway).bots(self.session_id,
                                                                   include=mine)
        parent = thread_parent(event)
        if parent is not None and parent[1] not in self.context.view.parents:
            try:
                self.context.view.parents[parent[1]] = await self.rpc(
                    "messaging", "get", self.actor.user_id, *parent)
            except ParleyError:
                pass
            if len(self.context.view.parents) > 500:
                self.context.view.parents.pop(next(iter(self.context.view.parents)))
        data = event.get("data") or {}
        channel_id = data.get("channel_id")
        if isinstance(channel_id, str) and channel_id not in self.context.kinds:
            try:
                channel = await self.rpc("channels", "get", self.actor.user_id, channel_id)
                self.context.kinds[channel_id] = channel["kind"]
            except ParleyError:
                pass

    # -- plumbing ---------------------------------------------------------------------
    def presence_session(self) -> None:
        """None: the heartbeat (heartbeat.py) keeps no presence for Slack sockets."""
        return None

    @property
    def team_id(self) -> str:
        return ids.team_id(self.gateway.cfg["workspace.id"])

    def send(self, frame: dict[str, Any]) -> None:
        if self.ws_connection is None or self.ws_connection.is_closing():
            return
        self.write_message(json.dumps(frame, default=str)).add_done_callback(_quiet)

    async def rpc(self, service: str, procedure: str, /, *args: Any, **kwargs: Any) -> Any:
        return await self.gateway.rpc.call(service, procedure, *args, **kwargs,
                                           _context={"request_id": uuid.uuid4().hex})


def _parsed(raw: str | bytes) -> dict | None:
    """The frame, or None if it is not a JSON object."""
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):   # not JSON, not UTF-8, or nested too deeply
        return None
    return frame if isinstance(frame, dict) else None


def _quiet(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()   # a socket closed meanwhile: nothing to do


def socket_url(handler, path: str, ticket: str) -> str:
    """The absolute ws:// (or wss://) URL of ``path`` on the host the request came to."""
    request = handler.request
    scheme = "wss" if request.protocol == "https" else "ws"
    return f"{scheme}://{request.host}{path}?ticket={ticket}"
