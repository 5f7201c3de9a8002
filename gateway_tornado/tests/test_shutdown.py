"""A gateway that stops (supervisor restarts it, a deploy) closes its sockets with
1001 so that clients reconnect elsewhere at once, and lets each socket's
clean-up (presence offline, hub unsubscribe) finish before the loop ends."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from gateway_tornado.__main__ import close_sockets


class Socket:
    """Closes like a Tornado WebSocket: on_close comes once the peer answered."""

    def __init__(self, gateway, cleaned: list):
        self.gateway, self.cleaned, self.closed_with = gateway, cleaned, None
        gateway.sockets.add(self)

    def close(self, code, reason):
        self.closed_with = (code, reason)
        asyncio.get_running_loop().call_later(0.1, self.on_close)

    def on_close(self):
        self.gateway.sockets.discard(self)
        task = asyncio.create_task(self.cleanup())
        self.gateway.cleanups.add(task)
        task.add_done_callback(self.gateway.cleanups.discard)

    async def cleanup(self):
        await asyncio.sleep(0.1)
        self.cleaned.append(self)


async def test_stopping_closes_every_socket_with_1001_and_waits_for_their_clean_ups():
    gateway, cleaned = SimpleNamespace(sockets=set(), cleanups=set()), []
    sockets = [Socket(gateway, cleaned) for _ in range(3)]
    await close_sockets(gateway)
    assert all(s.closed_with[0] == 1001 for s in sockets)
    assert sorted(map(id, cleaned)) == sorted(map(id, sockets))
    assert gateway.sockets == set() and gateway.cleanups == set()


async def test_a_socket_that_never_closes_does_not_hold_the_stop_forever():
    class Stuck:
        def close(self, code, reason):
            pass  # the peer never answers
    gateway = SimpleNamespace(sockets={Stuck()}, cleanups=set())
    started = asyncio.get_running_loop().time()
    await close_sockets(gateway, grace=0.3)
    assert asyncio.get_running_loop().time() - started < 1
