"""The gateway's heartbeat for its sockets: every ``EVERY`` seconds, for all of them at
once, end those whose session was revoked (in case the bus lost the
``session.revoked`` event), renew the others' presence sessions (one
``presence.renew`` per ``CHUNK`` sockets) and note that their people are active
(one ``users.touch_many`` per 1,000 people due).

One task per gateway, not one per socket: with a task per socket each beat cost an
RPC and a Redis lookup per socket (10,000 idle sockets made 500 RPCs a second, which
is what slowed opening them), and each socket carried a task's memory."""
from __future__ import annotations

import asyncio
from typing import Protocol

from services.common.errors import ParleyError
from services.common.logging import get_logger

from .activity import note_activity_of
from .context import Gateway

log = get_logger(__name__)

EVERY = 20.0   # seconds; well inside presence's session TTL
CHUNK = 500    # sessions per presence.renew call


class Beating(Protocol):
    """What the heartbeat needs of a socket (websocket.SocketHandler)."""
    user_id: str | None
    auth_session: str | None

    def presence_session(self) -> dict | None: ...
    def end_session(self) -> None: ...


async def beat(gateway: Gateway) -> None:
    sockets: list[Beating] = [s for s in gateway.sockets if s.presence_session() is not None]
    try:
        revoked = await gateway.sessions.revoked_among(s.auth_session for s in sockets)
    except ParleyError:
        revoked = set()   # checked again at the next frame or beat
    for socket in sockets:
        if socket.auth_session in revoked:
            socket.end_session()
    live = [s for s in sockets if s.auth_session not in revoked]
    for first in range(0, len(live), CHUNK):
        chunk = [s.presence_session() for s in live[first:first + CHUNK]]
        try:
            await gateway.rpc.call("presence", "renew", [c for c in chunk if c])
        except ParleyError as exc:
            log.warning("presence_renew_failed", sessions=len(chunk), error=exc.message)
    note_activity_of(gateway, {s.user_id for s in live if s.user_id})   # an open socket


async def run(gateway: Gateway) -> None:
    """Beat until cancelled; one failing beat never stops the next."""
    while True:
        await asyncio.sleep(EVERY)
        try:
            await beat(gateway)
        except Exception:   # noqa: BLE001 — logged; the next beat tries again
            log.exception("heartbeat_failed")
