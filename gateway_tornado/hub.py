"""Fan-out: from the real-time bus to this gateway's sockets.

One exclusive RabbitMQ queue per gateway, bound to the ``parley.realtime`` topic
exchange only for the routing keys (``channel.<id>``, ``user.<id>``) that some
local socket listens to, so each event reaches only gateways with interested
sockets. Bindings are reference-counted: the last socket to leave unbinds.
Each event is stamped with when it arrived (``RECEIVED_AT``, never sent on), so
that a socket can measure its fan-out delay (``parley_ws_fanout_delay_seconds``).
The listeners of a key share one event dict: the first socket to send it stores its
frame there, as the bytes on the wire (``WIRE_FRAME``), and the others write those.

A bus message may carry several events, each with the keys it goes to
(``events.bundle_messages``, AMQP type ``parley.bundle``): it is routed to this queue
once if any of its keys is bound here, and each event goes to the sockets listening
on its keys, once per socket.

The connection to RabbitMQ is robust: after a broker restart it comes back with the
queue and its bindings declared again. What was published while it was away never
reached the queue, so ``on_reconnect`` (set by the gateway) then asks every socket to
resume, which fetches that gap from history.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from typing import Callable, Protocol

import aio_pika

from services.common.events import BUNDLE, REALTIME_EXCHANGE
from services.common.logging import get_logger
from services.common.rpc_client import reconnect_seconds

log = get_logger(__name__)
RECEIVED_AT = "_received_at"   # time.perf_counter() when the bus delivered the event
WIRE_FRAME = "_wire_frame"     # the event's socket frame, built once (ws_protocol.text_frame)


class Listener(Protocol):
    def deliver(self, routing_key: str, event: dict) -> None: ...


class Hub:
    def __init__(self, amqp_uri: str, name: str):
        self.amqp_uri = amqp_uri
        self.name = name
        self._listeners: dict[str, set[Listener]] = defaultdict(set)
        self._lock = asyncio.Lock()
        self._queue: aio_pika.abc.AbstractQueue | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._connection = None
        self.on_reconnect: Callable[[], None] | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(
            self.amqp_uri, reconnect_interval=reconnect_seconds(),
            client_properties={"connection_name": f"parley-hub-{self.name}"})
        self._connection.reconnect_callbacks.add(self._reconnected)
        channel = await self._connection.channel()
        self._exchange = await channel.declare_exchange(
            REALTIME_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        self._queue = await channel.declare_queue(f"parley.gateway.{self.name}.{uuid.uuid4().hex[:8]}", exclusive=True,
                                                  auto_delete=True)
        await self._queue.consume(self._on_event, no_ack=True)

    def _reconnected(self, *_: object) -> None:
        """Back on the broker, queue and bindings restored (aio_pika calls this after
        restoring them): events published meanwhile were lost for this gateway."""
        log.warning("realtime_bus_reconnected", gateway=self.name)
        if self.on_reconnect is not None:
            self.on_reconnect()

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def subscribe(self, routing_key: str, listener: Listener) -> None:
        async with self._lock:
            first = not self._listeners[routing_key]
            self._listeners[routing_key].add(listener)
            if first:
                await self._queue.bind(self._exchange, routing_key=routing_key)

    async def unsubscribe(self, routing_key: str, listener: Listener) -> None:
        async with self._lock:
            listeners = self._listeners.get(routing_key)
            if not listeners or listener not in listeners:
                return
            listeners.discard(listener)
            if not listeners:
                del self._listeners[routing_key]
                await self._queue.unbind(self._exchange, routing_key=routing_key)

    async def _on_event(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        try:
            body = json.loads(message.body)
        except ValueError:
            log.error("realtime_event_not_json", routing_key=message.routing_key)
            return
        if message.type != BUNDLE:
            if isinstance(body, dict):
                self._deliver((message.routing_key or "",), body)
            else:
                log.error("realtime_event_not_an_object", routing_key=message.routing_key)
            return
        for item in body if isinstance(body, list) else ():
            keys = item.get("keys") if isinstance(item, dict) else None
            if (isinstance(keys, list) and all(isinstance(key, str) for key in keys)
                    and isinstance(item.get("event"), dict)):
                self._deliver(keys, item["event"])
            else:
                log.error("realtime_bundle_item_malformed", routing_key=message.routing_key)

    def _deliver(self, keys, event: dict) -> None:
        """``event`` to every local socket listening on any of ``keys``, once each
        (under the first of them it listens on)."""
        event[RECEIVED_AT] = time.perf_counter()
        if len(keys) == 1:   # most events (a message to its channel): nobody twice
            for listener in list(self._listeners.get(keys[0], ())):
                listener.deliver(keys[0], event)
            return
        told: set[Listener] = set()
        for key in keys:
            for listener in list(self._listeners.get(key, ())):
                if listener not in told:
                    told.add(listener)
                    listener.deliver(key, event)
