"""An asyncio client that speaks Nameko's AMQP RPC protocol (DESIGN.md §4).

The gateway and the Kafka consumers are asyncio processes and must not import
eventlet, so they cannot use Nameko's own proxies. The wire format:

* request: topic exchange ``nameko-rpc``, routing key ``<service>.<method>``,
  JSON body ``{"args": [...], "kwargs": {...}}``, ``reply_to`` a routing key bound
  to our reply queue, ``correlation_id``, context in ``nameko.*`` headers;
* reply: ``{"result": ..., "error": null | {exc_type, exc_path, exc_args, value}}``.

Requests are published ``mandatory`` with publisher confirms, so a call to a
service with no running instance fails at once, and carry an expiration equal to
the timeout, so a call nobody waits for any more is never executed later.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import aio_pika
from aio_pika.exceptions import DeliveryError
from aiormq.exceptions import AMQPError, ChannelInvalidStateError

from .config import get_config
from .errors import RpcTimeout, ServiceUnavailable, from_remote
from .metrics import RPC_CLIENT_CALLS, RPC_CLIENT_DURATION, outcome_label

RPC_EXCHANGE = "nameko-rpc"


def reconnect_seconds() -> float:
    """How often a lost broker is tried again (``amqp.reconnect_seconds``): aio-pika's
    own 5 s kept the gateways away for up to 5 s after RabbitMQ was back."""
    return float(get_config()["amqp.reconnect_seconds"])


class AsyncRpcClient:
    def __init__(self, amqp_uri: str, timeout: float = 10.0, name: str = "client"):
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.name = name
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._reply_key = f"rpc.reply-{name}-{uuid.uuid4().hex}"
        self._pending: dict[str, asyncio.Future] = {}

    async def connect(self) -> "AsyncRpcClient":
        self._connection = await aio_pika.connect_robust(
            self.amqp_uri, reconnect_interval=reconnect_seconds(),
            client_properties={"connection_name": f"parley-{self.name}"})
        self._channel = await self._connection.channel(publisher_confirms=True,
                                                       on_return_raises=True)
        self._exchange = await self._channel.declare_exchange(
            RPC_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await self._channel.declare_queue(self._reply_key, exclusive=True,
                                                  auto_delete=True)
        await queue.bind(self._exchange, routing_key=self._reply_key)
        await queue.consume(self._on_reply, no_ack=True)
        return self

    async def close(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ServiceUnavailable("RPC client closed"))
        if self._connection is not None:
            await self._connection.close()

    async def _on_reply(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is not None and not future.done():
            future.set_result(json.loads(message.body))

    @property
    def bus_up(self) -> bool:
        """Whether the connection to RabbitMQ is up now (no round trip: it says
        nothing about how busy the services are)."""
        return self._connection is not None and self._connection.connected.is_set()

    async def call(self, service: str, method: str, *args: Any,
                   _timeout: float | None = None, _context: dict[str, Any] | None = None,
                   **kwargs: Any) -> Any:
        assert self._exchange is not None, "connect() first"
        timeout = _timeout or self.timeout
        correlation_id = uuid.uuid4().hex
        context = dict(_context or {})
        call_id = f"{self.name}.{method}.{correlation_id}"
        headers = {f"nameko.{key}": value for key, value in context.items() if value is not None}
        headers["nameko.call_id_stack"] = [call_id]
        message = aio_pika.Message(
            body=json.dumps({"args": list(args), "kwargs": kwargs}).encode(),
            content_type="application/json",
            correlation_id=correlation_id,
            reply_to=self._reply_key,
            headers=headers,
            expiration=timeout,
        )
        future = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            try:
                await self._exchange.publish(message, routing_key=f"{service}.{method}",
                                             mandatory=True)
            except DeliveryError as exc:
                raise ServiceUnavailable(f"no instance of {service} is running") from exc
            except (AMQPError, ChannelInvalidStateError, ConnectionError) as exc:
                # RabbitMQ restarting: the robust connection comes back by itself
                raise ServiceUnavailable("the message bus is not reachable; try again") from exc
            try:
                reply = await asyncio.wait_for(future, timeout)
            except asyncio.TimeoutError:
                raise RpcTimeout(f"{service}.{method} did not answer in {timeout}s") from None
            if reply.get("error"):
                raise from_remote(reply["error"])
            return reply.get("result")
        except BaseException as exc:   # a timeout counts as such: RpcTimeout's code
            error = exc
            raise
        finally:
            self._pending.pop(correlation_id, None)
            RPC_CLIENT_CALLS.labels(service, method, outcome_label(error)).inc()
            RPC_CLIENT_DURATION.labels(service).observe(time.perf_counter() - started)
