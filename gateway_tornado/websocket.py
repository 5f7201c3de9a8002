"""The WebSocket at /ws (protocol: docs/api/websocket.md).

A socket authenticates with its access token (query ``access_token``, since
browsers cannot set headers on WebSockets), gets a ``hello``, listens to its
channels and its own user key on the hub, and sends frames that become RPCs.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import tornado.websocket

from services.common.errors import Forbidden, InvalidInput, ParleyError, Unauthenticated
from services.common.events import channel_key
from services.common.logging import bind_request_id, get_logger
from services.common.metrics import (RATE_LIMIT_REJECTIONS, WS_CONNECTIONS, WS_DISCONNECTS,
                                     WS_FANOUT_DELAY, WS_FRAMES, WS_LIMIT_CLOSES,
                                     WS_RESUME_REPLAYED, WS_RESUMES, WS_SEND_ACK)
from services.common.revocation import SESSION_REVOKED

from .activity import note_activity
from .context import Gateway
from .hub import RECEIVED_AT, WIRE_FRAME
from .listening import Listening
from .ws_limits import CLOSE_POLICY_VIOLATION, CLOSE_TOO_BIG, FrameLimit
from .ws_protocol import CLOSE_INVALID_PAYLOAD, ended_by, strict_text, text_frame
from .ws_resume import PAGE, HeldEvents, resume_request

log = get_logger(__name__)
PROTOCOL_VERSION = 1
# A delivered seq channels has clamped (it has not counted that message yet, which
# trails the send by the Kafka consumers' lag) is asked for again this often, this long.
CATCH_UP_EVERY = 0.25
CATCH_UP_FOR = 10.0

TYPING_EVERY = 3.0          # seconds: a socket's typing notices per channel, at most

RESUME_WAIT = 10.0          # seconds ?resume=1 holds events if no resume frame comes
CATCH_UP_CHANNELS = 500     # channels per messaging.catch_up call (it takes up to 1000)

CLOSE_UNAUTHENTICATED = 4001
CLOSE_TRY_AGAIN_LATER = 1013   # sessions or channels could not be read (Redis, RPC)
CLOSE_TOO_SLOW = 4008
FLOOD = {"type": "flood"}      # the queue's mark: close the socket with 1008 here
CLOSE_GOING_AWAY = 1001        # the gateway is stopping (__main__.close_sockets)
CLOSE_SERVICE_RESTART = 1012   # the hub lost RabbitMQ for a while (__main__.ask_to_resume)

# parley_ws_disconnects_total's reason for each close the gateway starts on an open
# socket (ws_protocol.ended_by adds client_closed, connection_lost, ping_timeout;
# a socket refused while opening counts as refused)
DISCONNECT_REASONS = {
    CLOSE_UNAUTHENTICATED: "auth_expired", CLOSE_TOO_SLOW: "backpressure",
    CLOSE_POLICY_VIOLATION: "rate_limited", CLOSE_TOO_BIG: "frame_too_big",
    CLOSE_INVALID_PAYLOAD: "invalid_payload", CLOSE_GOING_AWAY: "server_shutdown",
}


class SocketHandler(Listening, tornado.websocket.WebSocketHandler):
    def initialize(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.user_id: str | None = None
        self.auth_session: str | None = None   # the access token's session (`sid`)
        self.session_id = uuid.uuid4().hex
        self.init_listening()
        self._pending = 0
        # frames written but not flushed; a socket this far behind is too slow: closed
        self._max_pending = int(gateway.cfg["gateway.max_pending_writes"])
        self._limit = FrameLimit.from_config(gateway.cfg)   # frames per second
        self._held = HeldEvents()   # live events of channels being resumed
        self._resume_wait: asyncio.TimerHandle | None = None
        self._before_hello: list | None = []   # events heard while opening: after hello
        # delivered receipts, per channel: the cursor channels last confirmed, and the
        # seq still owed to it while a catch-up task asks again
        self._delivered: dict[str, int] = {}
        self._owed: dict[str, int] = {}
        self._catch_ups: dict[str, asyncio.Task] = {}
        # typing notices are throttled per channel
        self._typed: dict[tuple[str, str | None], float] = {}
        self._state = "active"   # this device: active or idle (the client says)
        self._protocol = None     # kept past the close, to tell why the socket ended
        self.init_frames(int(gateway.cfg["gateway.ws_frame_burst"]))   # at most a burst waits
        self._flooded = False    # sent on over its rate: closed once its queue is answered

    def check_origin(self, origin: str) -> bool:
        return True  # authentication is by token, not by cookie

    @property
    def max_message_size(self) -> int:
        return int(self.gateway.cfg["gateway.max_frame_bytes"])  # larger: closed with 1009

    def get_websocket_protocol(self):
        self._protocol = strict_text(super().get_websocket_protocol())  # bad UTF-8: 1007
        return self._protocol

    async def open(self) -> None:
        bind_request_id(self.session_id)
        token = self.get_query_argument("access_token", "")
        try:
            claims = self.gateway.tokens.verify(token)
            await self.gateway.sessions.ensure_live(claims["sid"])
        except ParleyError as exc:
            self.close(CLOSE_UNAUTHENTICATED if isinstance(exc, Unauthenticated)
                       else CLOSE_TRY_AGAIN_LATER, exc.message)
            return
        self.user_id, self.auth_session = claims["sub"], claims["sid"]
        self.gateway.sockets.add(self)
        WS_CONNECTIONS.inc()
        if self.get_query_argument("resume", "") == "1":   # a resume frame follows hello
            self._held.hold_everything()
            self._resume_wait = asyncio.get_running_loop().call_later(
                RESUME_WAIT, self._release_everything)
        try:
            await self.listen_to_person(self.user_id, await self._rpc(
                "channels", "list_for_user", self.user_id))
        except ParleyError as exc:   # channels or the bus away or slow: come back in a moment
            self.close(CLOSE_TRY_AGAIN_LATER, exc.message)
            return
        try:
            await self._rpc("presence", "connect", self.user_id, self.session_id, self._state)
        except ParleyError as exc:   # late presence does not keep anyone out: the
            log.warning("presence_connect_failed", error=exc.message)  # heartbeat records it
        note_activity(self.gateway, self.user_id)   # renewed by heartbeat.py from now on
        self._send({"type": "hello", "session_id": self.session_id, "user_id": self.user_id,
                    "protocol": PROTOCOL_VERSION, "server_time": time.time()})
        early, self._before_hello = self._before_hello, None
        for key, event in early:
            self.deliver(key, event)

    def on_message(self, raw: str | bytes) -> None:
        """Queue the frame for this socket's own task (listening.py, init_frames: not
        a coroutine, so that Tornado goes on reading pongs while a frame waits on a
        busy service). A rate refusal is queued too, to answer in order; a frame past
        a burst waiting is refused at once."""
        received = time.perf_counter()
        if self._flooded or self._closing():
            return
        refusal = self._over_budget()
        self._flooded = refusal is FLOOD   # closed once what came before is answered
        if not self.queue_frame((raw, received, refusal), even_if_full=refusal is not None):
            self._send({"type": "error", "code": "rate_limited",
                        "message": "too many frames waiting on this socket",
                        "retry_after": 1.0})

    async def handle_queued(self, item: tuple) -> None:
        raw, received, refusal = item
        if refusal is FLOOD:
            self.close(CLOSE_POLICY_VIOLATION, "too many frames: slow down, then reconnect")
        elif refusal is not None:
            self._send(refusal)
        else:
            await self._handle_frame(raw, received)

    async def _handle_frame(self, raw: str | bytes, received: float) -> None:
        try:
            frame = json.loads(raw)
            if not isinstance(frame, dict):
                raise ValueError
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deeply
            frame = None
        # read first, so that a refusal because sessions cannot be checked answers the
        # frame's req_id: without it a client waits for its send's reply in vain
        if not await self._session_is_live(frame.get("req_id") if frame else None):
            return
        if frame is None:
            self._send({"type": "error", "code": "invalid_input", "message": "not a JSON object"})
            return
        kind = str(frame.get("type", ""))
        WS_FRAMES.labels("in", kind if kind in _HANDLERS else "unknown").inc()
        handler = _HANDLERS.get(kind)
        try:
            if handler is None:
                raise InvalidInput(f"unknown frame type {kind!r}")
            reply = await handler(self, frame)
        except ParleyError as exc:
            if exc.status >= 500:
                log.error("frame_failed", frame_type=kind, error=str(exc))
            reply = {"type": "error", **exc.to_dict()}
        except Exception:
            log.exception("frame_failed", frame_type=kind)
            reply = {"type": "error", "code": "internal_error", "message": "something went wrong"}
        if reply is not None:
            if "req_id" in frame:
                reply["req_id"] = frame["req_id"]
            if self._send(reply) is not None and kind == "send" and reply["type"] == "ack":
                WS_SEND_ACK.observe(time.perf_counter() - received)

    def on_close(self) -> None:
        WS_DISCONNECTS.labels("refused" if self.user_id is None
                              else ended_by(self._protocol, DISCONNECT_REASONS)).inc()
        self.stop_frames()
        if self.user_id is None:
            return
        WS_CONNECTIONS.dec()
        for task in self._catch_ups.values():
            task.cancel()
        self._held.release_all()
        if self._resume_wait is not None:
            self._resume_wait.cancel()
        self.gateway.sockets.discard(self)
        cleanup = asyncio.create_task(self._cleanup())
        self.gateway.cleanups.add(cleanup)
        cleanup.add_done_callback(self.gateway.cleanups.discard)

    # -- frames from the client -------------------------------------------
    async def _on_ping(self, frame: dict) -> dict:
        return {"type": "pong", "server_time": time.time()}

    async def _on_send(self, frame: dict) -> dict:
        message = await self._rpc("messaging", "send", self.user_id, frame.get("channel_id", ""),
                                  frame.get("client_msg_id", ""), frame.get("text", ""),
                                  frame.get("attachments") or [],
                                  frame.get("thread_parent_id"),
                                  frame.get("also_to_channel") is True)
        message.pop("duplicate", None)
        return {"type": "ack", "message": message}

    async def _on_edit(self, frame: dict) -> dict:
        message = await self._rpc("messaging", "edit", self.user_id, frame.get("channel_id", ""),
                                  frame.get("message_id", ""), frame.get("text", ""))
        return {"type": "ack", "message": message}

    async def _on_delete(self, frame: dict) -> dict:
        message = await self._rpc("messaging", "delete", self.user_id,
                                  frame.get("channel_id", ""), frame.get("message_id", ""))
        return {"type": "ack", "message": message}

    async def _on_react(self, frame: dict) -> dict:
        message = await self._rpc("messaging", "react", self.user_id,
                                  frame.get("channel_id", ""), frame.get("message_id", ""),
                                  frame.get("emoji", ""), frame.get("remove") is not True)
        return {"type": "ack", "message": message}

    async def _on_delivered(self, frame: dict) -> dict:
        """This device has the channel's messages up to ``seq``. Coalesced: a seq at
        or below what channels already confirmed to this socket costs no call, and
        while a catch-up is under way the highest seq owed simply waits for it."""
        channel_id, seq = _cursor_frame(frame)
        if channel_id in self._catch_ups:
            self._owed[channel_id] = max(self._owed[channel_id], seq)
        elif seq > self._delivered.get(channel_id, -1):
            await self._record_delivered(channel_id, seq)
        return {"type": "ack", "channel_id": channel_id,
                "delivered_seq": self._delivered.get(channel_id, 0)}

    async def _record_delivered(self, channel_id: str, seq: int) -> None:
        """Tell channels; if it clamped ``seq`` (not counted yet), owe it and catch up."""
        answer = await self._rpc("channels", "mark_delivered", self.user_id, channel_id, seq)
        self._delivered[channel_id] = answer["delivered_seq"]
        if answer["delivered_seq"] < seq:
            self._owed[channel_id] = seq
            self._catch_ups[channel_id] = asyncio.create_task(self._catch_up(channel_id))

    async def _catch_up(self, channel_id: str) -> None:
        deadline = asyncio.get_running_loop().time() + CATCH_UP_FOR
        try:
            while asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(CATCH_UP_EVERY)
                owed = self._owed[channel_id]
                try:
                    answer = await self._rpc("channels", "mark_delivered", self.user_id,
                                             channel_id, owed)
                except ParleyError as exc:
                    if exc.status < 500:
                        return  # e.g. no longer a member: nothing more to record
                    continue
                self._delivered[channel_id] = answer["delivered_seq"]
                if answer["delivered_seq"] >= self._owed[channel_id]:
                    return
            log.warning("delivered_catch_up_gave_up", channel_id=channel_id,
                        owed=self._owed[channel_id],
                        delivered=self._delivered.get(channel_id))
        finally:
            self._catch_ups.pop(channel_id, None)
            self._owed.pop(channel_id, None)

    async def _on_read(self, frame: dict) -> dict:
        """The person has seen the channel up to ``seq``: their read cursor (and
        delivered cursor) move forward and their unread counters reset."""
        channel_id, seq = _cursor_frame(frame)
        answer = await self._rpc("channels", "mark_read", self.user_id, channel_id, seq)
        self._delivered[channel_id] = max(self._delivered.get(channel_id, 0),
                                          answer.get("delivered_seq", 0))
        return {"type": "ack", **answer, "channel_id": channel_id}

    async def _on_view(self, frame: dict) -> dict:
        """The channel this device now shows (``channel_id``), or none (null):
        notifications tell nobody about a channel they are looking at."""
        channel_id = frame.get("channel_id")
        if channel_id is not None and (not isinstance(channel_id, str) or not channel_id):
            raise InvalidInput("channel_id must be a channel id or null")
        await self._rpc("presence", "viewing", self.user_id, self.session_id, channel_id)
        return {"type": "ack", "channel_id": channel_id}

    async def _on_resume(self, frame: dict) -> dict:
        """Everything each named channel got after the client's ``seq``, in order,
        then its live events (ws_resume.py). Answers ``resumed`` once all are live."""
        wanted = resume_request(frame)
        WS_RESUMES.inc()
        listened = [cid for cid in wanted if channel_key(cid) in self.keys]
        for channel_id in listened:   # hold first: from here on nothing is missed
            self._held.hold(channel_id)
        results: dict[str, Any] = {}
        try:
            first_pages = await self._first_pages({c: wanted[c] for c in listened})
            for channel_id, seq in wanted.items():
                if channel_id not in listened:
                    results[channel_id] = {"error": Forbidden(
                        "you are not a member of this channel").to_dict()}
                    continue
                last_seq, first = seq, first_pages[channel_id]
                try:
                    if "error" in first:
                        results[channel_id] = {"error": first["error"]}
                    else:
                        last_seq, results[channel_id] = await self._replay(
                            channel_id, seq, first["messages"])
                except ParleyError as exc:
                    results[channel_id] = {"error": exc.to_dict()}
                finally:
                    for key, event in self._held.release(channel_id, last_seq):
                        self._forward(key, event)
        finally:   # the channels not named (with ?resume=1), or left by a failure
            self._release_everything()
        return {"type": "resumed", "channels": results}

    async def _first_pages(self, positions: dict[str, int]) -> dict[str, dict]:
        """The first page of every channel to resume, in one call (messaging.catch_up):
        after a reconnect most channels have nothing new, and a thousand sockets
        resuming at once asked for one page per channel each. A failure is every
        channel's answer."""
        limit = min(PAGE, int(self.gateway.cfg["gateway.resume_max_messages"]))
        channels, pages = list(positions), {}
        for first in range(0, len(channels), CATCH_UP_CHANNELS):
            part = {c: positions[c] for c in channels[first:first + CATCH_UP_CHANNELS]}
            try:
                pages |= await self._rpc("messaging", "catch_up", self.user_id, part, limit)
            except ParleyError as exc:
                pages |= {channel_id: {"error": exc.to_dict()} for channel_id in part}
        return pages

    def _release_everything(self) -> None:
        if self._resume_wait is not None:
            self._resume_wait.cancel()
            self._resume_wait = None
        for key, event in self._held.release_all():
            self._forward(key, event)

    async def _replay(self, channel_id: str, seq: int, first: list[dict]
                      ) -> tuple[int, dict]:
        """Send the channel's messages after ``seq`` page by page, from its ``first``
        page on, each page flushed before the next is asked for; at most
        ``gateway.resume_max_messages``."""
        most = int(self.gateway.cfg["gateway.resume_max_messages"])
        replayed, last_seq, complete = 0, seq, True
        page: list[dict] | None = first
        while True:
            want = min(PAGE, most - replayed)
            if page is None:
                page = await self._rpc("messaging", "history", self.user_id, channel_id,
                                       after=last_seq, limit=want)
            written = None
            for message in page:
                written = self._send({"type": "message.created", "data": message,
                                      "replayed": True})
                last_seq = message["seq"]
            replayed += len(page)
            WS_RESUME_REPLAYED.inc(len(page))
            if written is not None:
                await asyncio.wait([written])   # this page left before the next is read
            if len(page) < want or self._closing():
                break
            if replayed >= most:   # the rest: GET …/messages?after=<last_seq>
                complete = False
                break
            page = None
        return last_seq, {"replayed": replayed, "last_seq": last_seq, "complete": complete}

    async def _on_typing(self, frame: dict) -> dict | None:
        """The person is typing (``state``: ``started``, the default, or
        ``stopped``) in a channel or a thread. Answered only when refused: a
        started notice repeated within TYPING_EVERY seconds is dropped here."""
        channel_id, thread = frame.get("channel_id"), frame.get("thread_parent_id")
        state = frame.get("state", "started")
        if not isinstance(channel_id, str) or not channel_id:
            raise InvalidInput("channel_id is required")
        now = time.monotonic()
        if state == "started" and now - self._typed.get((channel_id, thread), -TYPING_EVERY) \
                < TYPING_EVERY:
            return None
        self._typed[(channel_id, thread)] = now if state == "started" else -TYPING_EVERY
        await self._rpc("presence", "typing", self.user_id, channel_id, thread, state)
        return None

    async def _on_presence(self, frame: dict) -> dict:
        """This device went idle or came back: ``state`` ``idle`` or ``active``."""
        if frame.get("state") not in ("active", "idle"):
            raise InvalidInput("state must be active or idle")
        self._state = frame["state"]
        status = await self._rpc("presence", "set_state", self.user_id, self.session_id,
                                 self._state)
        return {"type": "ack", "status": status}

    # -- events from the hub ----------------------------------------------
    def deliver(self, routing_key: str, event: dict[str, Any]) -> None:
        if event.get("type") == SESSION_REVOKED:  # for the gateway, not the client
            if self.auth_session in (event.get("data") or {}).get("session_ids", ()):
                self.end_session()
            return
        if self._before_hello is not None:   # hello goes first
            self._before_hello.append((routing_key, event))
            return
        if self._heard_before(event.get("event_id")):
            return
        if not self._held.keep(routing_key, event):
            self._forward(routing_key, event)

    def _forward(self, routing_key: str, event: dict[str, Any]) -> None:
        data = event.get("data") or {}
        if WIRE_FRAME not in event:   # built once for every socket the event goes to
            event[WIRE_FRAME] = text_frame(json.dumps({"type": event.get("type"),
                                                       "data": data}, default=str))
        written = self._write(event[WIRE_FRAME], event.get("type"))
        if written is not None and RECEIVED_AT in event:   # held for a resume: held time too
            WS_FANOUT_DELAY.observe(time.perf_counter() - event[RECEIVED_AT])
        self.follow_membership(self.user_id, event)

    # -- plumbing -----------------------------------------------------------
    def _over_budget(self) -> dict | None:
        """None when this frame is within the socket's frames per second; else the
        error frame refusing it, or FLOOD for a socket that goes on sending refused
        frames (to be closed with 1008)."""
        wait = self._limit.check()
        if not wait:
            return None
        RATE_LIMIT_REJECTIONS.labels("socket").inc()
        if self._limit.flooding:
            WS_LIMIT_CLOSES.labels("flood").inc()
            return FLOOD
        return {"type": "error", "code": "rate_limited",
                "message": "too many frames on this socket",
                "retry_after": round(wait + 0.005, 2)}

    def _closing(self) -> bool:
        return self.ws_connection is None or self.ws_connection.is_closing()

    def _send(self, frame: dict) -> asyncio.Future | None:
        """Write ``frame``; the future is done when it is flushed (None: not written)."""
        return self._write(text_frame(json.dumps(frame, default=str)), frame.get("type"))

    def _write(self, frame: bytes, frame_type: Any) -> asyncio.Future | None:
        """Write ``frame`` (ws_protocol.text_frame) unless the socket is closing or
        too far behind (then it is closed)."""
        if self._closing():
            return None
        if self._pending >= self._max_pending:
            WS_LIMIT_CLOSES.labels("too_slow").inc()
            self.close(CLOSE_TOO_SLOW, "too slow: reconnect and resume")
            return None
        WS_FRAMES.labels("out", str(frame_type)).inc()
        self._pending += 1
        future = self.ws_connection.write_frame(frame)
        future.add_done_callback(self._written)
        return future

    def _written(self, future: asyncio.Future) -> None:
        self._pending -= 1
        if not future.cancelled():
            future.exception()  # closed sockets: nothing to do, but don't warn

    async def _rpc(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return await self.gateway.rpc.call(service, method, *args, **kwargs,
                                           _context={"request_id": uuid.uuid4().hex})

    async def _session_is_live(self, req_id: Any = None) -> bool:
        """Whether the token's session is still live; ends the socket if it is not.
        (When sessions cannot be checked, says so in an error frame answering
        ``req_id``, the frame's, so that the client can send it again.)"""
        try:
            revoked = await self.gateway.sessions.is_revoked(self.auth_session)
        except ParleyError as exc:
            self._send({"type": "error", **exc.to_dict(),
                        **({"req_id": req_id} if req_id is not None else {})})
            return False
        if revoked:
            self.end_session()
        return not revoked

    def end_session(self) -> None:
        self.close(CLOSE_UNAUTHENTICATED, "session has ended")

    def presence_session(self) -> dict | None:
        """This socket's presence session for the heartbeat (heartbeat.py); None
        until hello is sent (``open`` connects it itself)."""
        if self.user_id is None or self._before_hello is not None or self._closing():
            return None
        return {"user_id": self.user_id, "session_id": self.session_id, "state": self._state}

    async def _cleanup(self) -> None:
        await self.stop_listening()
        try:
            await self._rpc("presence", "disconnect", self.user_id, self.session_id)
        except ParleyError as exc:
            log.warning("presence_disconnect_failed", error=exc.message)


def _cursor_frame(frame: dict) -> tuple[str, int]:
    """``channel_id`` and ``seq`` of a ``delivered`` or ``read`` frame."""
    channel_id, seq = frame.get("channel_id"), frame.get("seq")
    if not isinstance(channel_id, str) or not channel_id:
        raise InvalidInput("channel_id is required")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise InvalidInput("seq must be a non-negative integer")
    return channel_id, seq


_HANDLERS = {
    "ping": SocketHandler._on_ping,
    "send": SocketHandler._on_send,
    "edit": SocketHandler._on_edit,
    "delete": SocketHandler._on_delete,
    "react": SocketHandler._on_react,
    "delivered": SocketHandler._on_delivered,
    "read": SocketHandler._on_read,
    "view": SocketHandler._on_view,
    "resume": SocketHandler._on_resume,
    "typing": SocketHandler._on_typing,
    "presence": SocketHandler._on_presence,
}
