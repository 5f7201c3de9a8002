"""Last activity: tells the users service that someone is active, at most once a
minute per person and gateway, in the background, for REST calls and open sockets
alike. A slow or failed touch never delays or fails what the person is doing."""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable

from services.common.logging import get_logger

from .context import Gateway

log = get_logger(__name__)

TOUCH_EVERY = 60.0  # seconds: last activity is minute-grained
CHUNK = 1000        # people per users.touch_many call (its most)
_touched: dict[str, float] = {}  # user id -> when this gateway last told users
_pending: set[asyncio.Task] = set()


def should_touch(user_id: str, now: float) -> bool:
    """At most once a minute per person and gateway (the service also writes at
    most once a minute, whatever the number of gateways)."""
    if now - _touched.get(user_id, float("-inf")) < TOUCH_EVERY:
        return False
    if len(_touched) > 100_000:
        _touched.clear()
    _touched[user_id] = now
    return True


def note_activity(gateway: Gateway, user_id: str, request_id: str | None = None) -> None:
    """One person did something (a REST call, a socket opening)."""
    if should_touch(user_id, time.monotonic()):
        _in_background(gateway, "touch", user_id, request_id)


def note_activity_of(gateway: Gateway, user_ids: Iterable[str]) -> None:
    """Many people are active (the heartbeat's open sockets): one ``users.touch_many``
    per ``CHUNK`` of those due, instead of an RPC per person (1,000 people on open
    sockets made 17 a second)."""
    now = time.monotonic()
    due = [user_id for user_id in user_ids if should_touch(user_id, now)]
    for first in range(0, len(due), CHUNK):
        _in_background(gateway, "touch_many", due[first:first + CHUNK])


def _in_background(gateway: Gateway, method: str, argument, request_id: str | None = None):
    task = asyncio.ensure_future(_touch(gateway, method, argument,
                                        request_id or uuid.uuid4().hex))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _touch(gateway: Gateway, method: str, argument, request_id: str) -> None:
    try:
        await gateway.rpc.call("users", method, argument, _context={"request_id": request_id})
    except Exception as exc:  # noqa: BLE001 - best effort
        log.warning("touch_failed", method=method, error=str(exc))
