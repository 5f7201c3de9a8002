"""The hub's bindings (gateway_tornado/hub.py): a key is bound on RabbitMQ once, however
many sockets listen to it, before the first of them hears anything; it stays bound
for LINGER seconds after the last one left, so that sockets reconnecting at once find
it bound; then it is unbound, unless someone listens again."""
from __future__ import annotations

import asyncio

import pytest

from gateway_tornado import hub as hub_module
from gateway_tornado.hub import Hub


class Queue:
    """Stands in for the hub's RabbitMQ queue: records binds and unbinds, in order."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    async def bind(self, exchange, routing_key):
        await asyncio.sleep(0.01)   # a round trip
        self.calls.append(("bind", routing_key))

    async def unbind(self, exchange, routing_key):
        await asyncio.sleep(0.01)
        self.calls.append(("unbind", routing_key))


class Socket:
    def deliver(self, routing_key, event):
        pass


@pytest.fixture
def bus(monkeypatch):
    monkeypatch.setattr(hub_module, "LINGER", 0.1)
    bus = Hub("amqp://unused", "gateway-test")
    bus._queue, bus._exchange = Queue(), object()
    return bus


async def test_a_key_is_bound_once_for_all_its_listeners(bus):
    sockets = [Socket() for _ in range(5)]
    await asyncio.gather(*(bus.subscribe("channel.c1", s) for s in sockets))
    assert bus._queue.calls == [("bind", "channel.c1")]


async def test_the_last_listener_leaving_unbinds_after_the_linger(bus):
    socket = Socket()
    await bus.subscribe("channel.c1", socket)
    await bus.unsubscribe("channel.c1", socket)
    assert bus._queue.calls == [("bind", "channel.c1")]     # still bound, lingering
    await asyncio.sleep(0.2)
    assert bus._queue.calls == [("bind", "channel.c1"), ("unbind", "channel.c1")]


async def test_a_socket_back_within_the_linger_needs_no_new_binding(bus):
    first, again = Socket(), Socket()
    await bus.subscribe("channel.c1", first)
    await bus.unsubscribe("channel.c1", first)
    await bus.subscribe("channel.c1", again)    # a reconnect
    await asyncio.sleep(0.2)
    assert bus._queue.calls == [("bind", "channel.c1")]
    assert bus._listeners["channel.c1"] == {again} and "channel.c1" in bus._bound


async def test_a_listener_arriving_while_the_key_is_unbound_binds_it_again(bus):
    first, later = Socket(), Socket()
    await bus.subscribe("channel.c1", first)
    await bus.unsubscribe("channel.c1", first)
    await asyncio.sleep(0.105)                  # the unbind is under way
    await bus.subscribe("channel.c1", later)
    await asyncio.sleep(0.05)
    assert bus._queue.calls == [("bind", "channel.c1"), ("unbind", "channel.c1"),
                                ("bind", "channel.c1")]
    assert "channel.c1" in bus._bound


async def test_leaving_a_key_one_never_listened_to_changes_nothing(bus):
    await bus.unsubscribe("channel.nobody", Socket())
    await asyncio.sleep(0.2)
    assert bus._queue.calls == []
