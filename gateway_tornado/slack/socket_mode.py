"""Socket Mode: ``apps.connections.open`` and the socket at its URL
(docs/slack-compat.md, Socket Mode).

An app-level token (``xapp-…``, ``connections:write``) opens the socket, which
then hears what the app's bot user hears (its conversations, like RTM) and sends
each Events API event (``message``, ``reaction_added``, ``reaction_removed``,
``member_joined_channel``) in an ``events_api`` envelope. The client acknowledges
an envelope with ``{"envelope_id": …}``.

At least once, per app, across gateways (Redis):

- one bus event becomes one envelope however many of the app's sockets hear it
  (the first to claim ``…:event:<event id>`` sends it);
- an envelope is pending until acknowledged: ``…:pending`` (envelope id -> the
  envelope, its first sending, its attempts) and ``…:due`` (envelope id -> when to
  send it again). Every socket of the app looks every ``CHECK_EVERY`` seconds for
  envelopes past due and sends them again (``retry_reason: timeout``), each taken
  by one socket (a Lua compare-and-set of its due time); a new socket takes every
  pending envelope at once (``retry_reason: connection_closed`` when earlier
  attempts went unanswered);
- at most ``MAX_PENDING`` per app (the soonest due are dropped beyond that), none
  older than ``MAX_AGE`` seconds, at most ``MAX_RETRIES`` sendings again.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import redis

from services.common.logging import get_logger

from . import ids
from .api import Call, method
from .auth import APP
from .errors import SlackError
from .ratelimits import TIER2
from .sockets import SlackSocket, socket_url
from .tickets import issue

log = get_logger(__name__)
SOCKET_MODE_PATH = "/slack/socket-mode"
EVENTS_API_TYPES = {"message", "reaction_added", "reaction_removed", "member_joined_channel"}
ACK_TIMEOUT = 10.0     # seconds an envelope waits for its acknowledgement
CHECK_EVERY = 2.0      # seconds between a socket's looks for envelopes past due
MAX_PENDING = 1000     # envelopes kept per app
MAX_AGE = 3600         # seconds an envelope is kept
MAX_RETRIES = 3
CLAIM_SECONDS = 3600   # a bus event claimed by one socket of the app, for this long
EVER = 1e18            # a due time past every envelope's

# KEYS[1] due; ARGV now, next, id: take the envelope if it is (still) due.
TAKE_DUE = """
local due = redis.call('ZSCORE', KEYS[1], ARGV[3])
if due and tonumber(due) <= tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  return 1
end
return 0
"""

CHANNEL_TYPES = {"C": "channel", "D": "im", "G": "mpim"}


@method("apps.connections.open", TIER2)
async def open_connection(call: Call) -> dict[str, Any]:
    """An app-level token's socket URL (a single-use ticket valid for 30 s); other
    tokens are ``not_allowed_token_type``."""
    if call.actor.kind != APP:
        raise SlackError("not_allowed_token_type")
    call.actor.require("connections:write")
    ticket = await issue(call.gateway, call.actor, "socket_mode")
    return {"url": socket_url(call.handler, SOCKET_MODE_PATH, ticket)}


def _key(app_id: str, what: str) -> str:
    return f"parley:slack:socket_mode:{app_id}:{what}"


def envelope(event: dict[str, Any], bus_event: dict[str, Any], team_id: str,
             app_id: str, bot_user: str, kinds: dict[str, str]) -> dict[str, Any]:
    """A Slack event in an ``events_api`` envelope, as Socket Mode sends it."""
    event = dict(event)
    channel = event.get("channel") or (event.get("item") or {}).get("channel")
    if event["type"] == "message" and channel:
        kind = kinds.get(ids.parley_channel(channel) or "", "public")
        event["channel_type"] = "group" if kind == "private" else CHANNEL_TYPES[channel[0]]
    event.setdefault("event_ts", event.get("ts"))
    return {"envelope_id": str(uuid.uuid4()), "type": "events_api",
            "accepts_response_payload": False, "retry_attempt": 0, "retry_reason": "",
            "payload": {"token": "", "team_id": team_id, "api_app_id": app_id,
                        "event": event, "type": "event_callback",
                        "event_id": "Ev" + str(bus_event.get("event_id")
                                               or uuid.uuid4().hex).upper(),
                        "event_time": int(float(event.get("event_ts") or time.time())),
                        "authorizations": [{"enterprise_id": None, "team_id": team_id,
                                            "user_id": bot_user, "is_bot": True,
                                            "is_enterprise_install": False}],
                        "is_ext_shared_channel": False}}


class SocketModeSocket(SlackSocket):
    purpose = "socket_mode"

    @property
    def redis(self):
        return self.gateway.sessions.redis

    @property
    def app_id(self) -> str:
        return ids.app_id(self.actor.app_id)

    async def greet(self) -> None:
        self.send({"type": "hello", "num_connections": 1,
                   "debug_info": {"host": self.gateway.name, "build_number": 1,
                                  "approximate_connection_time": 18060},
                   "connection_info": {"app_id": self.app_id}})
        self._redeliverer = asyncio.create_task(self._redeliver_loop())

    def on_close(self) -> None:
        task = getattr(self, "_redeliverer", None)
        if task is not None:
            task.cancel()
        super().on_close()

    async def emit(self, event: dict[str, Any], bus_event: dict[str, Any]) -> None:
        if event.get("type") not in EVENTS_API_TYPES:
            return
        claim = _key(self.app_id, f"event:{bus_event.get('event_id')}:{event['type']}")
        wrapped = envelope(event, bus_event, self.team_id, self.app_id,
                          ids.user_id(self.actor.user_id), self.context.kinds)
        try:
            if not await self.redis.set(claim, "1", nx=True, ex=CLAIM_SECONDS):
                return   # another socket of the app sends it
            await self._keep(wrapped)
        except redis.RedisError as exc:   # at most once while Redis is away
            log.warning("socket_mode_pending_unavailable", error=str(exc))
        self.send(wrapped)

    async def on_frame(self, frame: dict | None) -> None:
        envelope_id = (frame or {}).get("envelope_id")
        if not isinstance(envelope_id, str):
            return   # Slack ignores what it does not understand
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hdel(_key(self.app_id, "pending"), envelope_id)
                pipe.zrem(_key(self.app_id, "due"), envelope_id)
                await pipe.execute()
        except redis.RedisError as exc:
            log.warning("socket_mode_ack_unrecorded", error=str(exc))

    def on_frame_refused(self, frame: dict | None) -> None:
        """Dropped, but said: the client's frames are only acknowledgements, and an
        envelope whose acknowledgement is lost stays pending, so it is sent again
        (``retry_reason: timeout``) and acknowledged then (at least once, as ever)."""
        log.warning("socket_mode_ack_dropped", reason="too many frames waiting",
                    envelope_id=(frame or {}).get("envelope_id"))

    # -- pending envelopes ----------------------------------------------------------
    async def _keep(self, wrapped: dict[str, Any]) -> None:
        pending, due = _key(self.app_id, "pending"), _key(self.app_id, "due")
        record = {"envelope": wrapped, "first": time.time()}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(pending, wrapped["envelope_id"], json.dumps(record, default=str))
            pipe.zadd(due, {wrapped["envelope_id"]: time.time() + ACK_TIMEOUT})
            pipe.expire(pending, MAX_AGE)
            pipe.expire(due, MAX_AGE)
            pipe.zcard(due)
            size = (await pipe.execute())[-1]
        if size > MAX_PENDING:
            dropped = [m for m, _ in await self.redis.zpopmin(due, size - MAX_PENDING)]
            if dropped:
                await self.redis.hdel(pending, *dropped)

    async def _redeliver_loop(self) -> None:
        await self._redeliver(everything=True, reason="connection_closed")
        while True:
            await asyncio.sleep(CHECK_EVERY)
            await self._redeliver(everything=False, reason="timeout")

    async def _redeliver(self, everything: bool, reason: str) -> None:
        """Send again the app's pending envelopes past due (``everything``: all)."""
        pending, due = _key(self.app_id, "pending"), _key(self.app_id, "due")
        now = time.time()
        try:
            ready = await self.redis.zrangebyscore(due, "-inf", "+inf" if everything else now,
                                                   start=0, num=100)
            for envelope_id in ready:
                envelope_id = envelope_id.decode() if isinstance(envelope_id, bytes) \
                    else envelope_id
                taken = await self.redis.eval(TAKE_DUE, 1, due, EVER if everything else now,
                                              now + ACK_TIMEOUT, envelope_id)
                raw = await self.redis.hget(pending, envelope_id) if taken else None
                if raw is None:
                    if taken:
                        await self.redis.zrem(due, envelope_id)
                    continue
                record = json.loads(raw)
                wrapped = record["envelope"]
                if now - record["first"] > MAX_AGE or wrapped["retry_attempt"] >= MAX_RETRIES:
                    await self.on_frame({"envelope_id": envelope_id})   # given up
                    continue
                wrapped.update(retry_attempt=wrapped["retry_attempt"] + 1, retry_reason=reason)
                await self.redis.hset(pending, envelope_id, json.dumps(record, default=str))
                self.send(wrapped)
        except redis.RedisError as exc:
            log.warning("socket_mode_redelivery_unavailable", error=str(exc))
