"""``@rpc`` for every Parley service: Nameko's RPC entrypoint, except that a reply
that cannot be published does not end the service.

Nameko publishes a worker's reply from the worker's own green thread, after the
method returned. When RabbitMQ is gone at that moment (restarting, a network cut),
the publish fails once kombu's retries are spent, the exception ends that thread,
and Nameko kills the whole container: every other call in flight in that instance
dies with it, and supervisord must start the process again (docs/performance.md,
the chaos run of 19:09: three instances did). Here the lost reply is logged
(``rpc_reply_lost``) and the worker ends normally. The request is not acknowledged:
where RabbitMQ still holds it (a connection lost, not a broker restarted, which
keeps only persistent messages), it gives it to an instance again unless it expired
first. The caller, which never got the reply, times out and may call again. So the
method may run twice, which every Parley RPC that writes allows (they are
idempotent).
"""
from __future__ import annotations

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko import rpc as nameko_rpc

from .logging import get_logger

log = get_logger(__name__)

# what a publish raises when the broker is unreachable (kombu wraps most of them)
BROKER_GONE = (OperationalError, AmqpConnectionError, OSError)


class RpcConsumer(nameko_rpc.RpcConsumer):
    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except BROKER_GONE as exc:
            log.warning("rpc_reply_lost", routing_key=message.delivery_info.get("routing_key"),
                        error=str(exc))
            return result, exc_info


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


rpc = Rpc.decorator
