"""Last activity: tells the users service that someone is active, at most once a
minute per person and gateway, in the background, for REST calls and open sockets
alike. A slow or failed touch never delays or fails what the person is doing."""
from __future__ import annotations

import asyncio
import time
import uuid

from services.common.logging import get_logger

from .context import Gateway

log = get_logger(__name__)

TOUCH_EVERY = 60.0  # seconds: last activity is minute-grained
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
    if should_touch(user_id, time.monotonic()):
        task = asyncio.ensure_future(_touch(gateway, user_id, request_id or uuid.uuid4().hex))
        _pending.add(task)
        task.add_done_callback(_pending.discard)


async def _touch(gateway: Gateway, user_id: str, request_id: str) -> None:
    try:
        await gateway.rpc.call("users", "touch", user_id, _context={"request_id": request_id})
    except Exception as exc:  # noqa: BLE001 - best effort
        log.warning("touch_failed", user_id=user_id, error=str(exc))
