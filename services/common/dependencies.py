"""Nameko dependency providers shared by several services.

Each service's own ``dependencies.py`` holds what only it needs; these are the
generic ones: instrumentation (metrics, request ids in logs), the real-time bus,
and clients for MongoDB, Redis and S3.
"""
from __future__ import annotations

import time

import eventlet
import structlog
from eventlet import wsgi
from kombu import Exchange
from nameko.amqp.publish import Publisher
from nameko.contextdata import ContextDataProvider
from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, RpcProxy
from prometheus_client import make_wsgi_app

from .config import get_config
from .errors import ParleyError, RpcTimeout
from .events import BUNDLE, REALTIME_EXCHANGE, Event, bundle_messages
from .metrics import (RPC_CALLS, RPC_CLIENT_CALLS, RPC_CLIENT_DURATION, RPC_DURATION,
                      RPC_ERRORS, RPC_IN_FLIGHT, error_label, outcome_label)
from .store_metrics import time_postgres
from .stores import mongo_database, redis_client, s3_client

log = structlog.get_logger(__name__)


class Instrumentation(DependencyProvider):
    """Serves /metrics and /health, times every entrypoint, counts its failures and
    the workers in flight, binds the request id, and times PostgreSQL statements."""

    def setup(self):
        time_postgres()   # the engines nameko-sqlalchemy makes are timed like every store
        self.port = int(self.container.config.get("PARLEY_METRICS_PORT") or 0)
        self.host = self.container.config.get("PARLEY_METRICS_HOST", "127.0.0.1")
        self._started = {}
        self._server = None

    def start(self):
        if not self.port:
            return
        metrics_app = make_wsgi_app()

        def app(environ, start_response):
            if environ.get("PATH_INFO") == "/health":
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [b"ok\n"]
            return metrics_app(environ, start_response)

        sock = eventlet.listen((self.host, self.port))
        self._server = self.container.spawn_managed_thread(
            lambda: wsgi.server(sock, app, log_output=False), identifier="metrics")

    def stop(self):
        if self._server is not None:
            self._server.kill()

    def worker_setup(self, worker_ctx):
        structlog.contextvars.bind_contextvars(
            request_id=worker_ctx.data.get("request_id"),
            rpc=f"{worker_ctx.service_name}.{worker_ctx.entrypoint.method_name}")
        self._started[worker_ctx] = time.perf_counter()
        RPC_IN_FLIGHT.labels(worker_ctx.service_name).inc()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        method = worker_ctx.entrypoint.method_name
        service = worker_ctx.service_name
        error = None if exc_info is None else exc_info[1]
        if error is not None and not isinstance(error, ParleyError):
            log.error("rpc_failed", exc_info=exc_info)
        RPC_CALLS.labels(service, method, outcome_label(error)).inc()
        if error is not None:
            RPC_ERRORS.labels(service, method, error_label(error)).inc()
        if started is not None:
            RPC_DURATION.labels(service, method).observe(time.perf_counter() - started)
        structlog.contextvars.unbind_contextvars("request_id", "rpc")

    def worker_teardown(self, worker_ctx):
        RPC_IN_FLIGHT.labels(worker_ctx.service_name).dec()


class RequestId(ContextDataProvider):
    """The id of the client request this worker serves (None for internal calls);
    the gateway sends it as the ``nameko.request_id`` header."""

    context_key = "request_id"


class TimedRpcProxy(RpcProxy):
    """Nameko's RpcProxy, but a call gives up after ``RPC_TIMEOUT`` seconds.

    Nameko 2's proxy waits for a reply forever, so one stuck callee would pin
    the caller's workers until the whole chain stalls. A timed-out call raises
    :class:`RpcTimeout` (504), which the gateway passes on to the client, whose
    retry is safe because every RPC that writes is idempotent."""

    def get_dependency(self, worker_ctx):
        timeout = float(self.container.config.get("RPC_TIMEOUT", 10))
        return _TimedServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                                  timeout, self.options)


class _TimedServiceProxy:
    def __init__(self, worker_ctx, service_name, reply_listener, timeout, options):
        self._args = (worker_ctx, service_name)
        self._reply_listener = reply_listener
        self._timeout = timeout
        self._options = options

    def __getattr__(self, method_name):
        worker_ctx, service_name = self._args
        method = MethodProxy(worker_ctx, service_name, method_name, self._reply_listener,
                             **self._options)

        def call(*args, **kwargs):
            started, error = time.perf_counter(), None
            try:
                reply = method.call_async(*args, **kwargs)
                with eventlet.Timeout(self._timeout, False):
                    return reply.result()
                error = RpcTimeout(f"{service_name}.{method_name} did not answer "
                                   f"within {self._timeout:g}s")
                raise error
            except Exception as exc:
                error = exc
                raise
            finally:
                RPC_CLIENT_CALLS.labels(service_name, method_name, outcome_label(error)).inc()
                RPC_CLIENT_DURATION.labels(service_name).observe(
                    time.perf_counter() - started)

        return call


class RealtimeBus(DependencyProvider):
    """Publishes events to the gateways through RabbitMQ, routed by channel or user."""

    def setup(self):
        self.exchange = Exchange(REALTIME_EXCHANGE, type="topic", durable=True)
        self.publisher = Publisher(self.container.config["AMQP_URI"], exchange=self.exchange,
                                   declare=[self.exchange], use_confirms=True,
                                   serializer="json")

    def get_dependency(self, worker_ctx):
        return RealtimePublish(self.publisher, worker_ctx)


class RealtimePublish:
    """What a worker gets from RealtimeBus: ``publish(routing_key, event)``, and
    ``publish.many([(routing_key, event), …])`` for a worker with many events at once
    (a status change to every channel of a person; a channel change's announcements).
    ``many`` sends them in as few bus messages as their keys allow
    (``events.bundle_messages``: up to 1,000 keys each, routed by RabbitMQ's ``CC``
    header), each confirmed. One message per event had cost a users batch (when it
    still announced counters) a publish and a confirm per person, nearly half of the
    users service's CPU at 30 msg/s (docs/performance.md, "The consumers keep up"),
    and RabbitMQ and the gateways as many messages. The same event object under
    several keys travels once."""

    def __init__(self, publisher: Publisher, worker_ctx):
        self.publisher = publisher
        self.worker_ctx = worker_ctx

    def __call__(self, routing_key: str, event: Event) -> None:
        self.publisher.publish(self._payload(event), routing_key=routing_key)

    def many(self, events) -> None:
        by_event: dict[int, tuple[list[str], Event]] = {}   # the same event once
        for routing_key, event in events:
            by_event.setdefault(id(event), ([], event))[0].append(routing_key)
        if len(by_event) == 1 and len(next(iter(by_event.values()))[0]) == 1:
            (((routing_key,), event),) = by_event.values()
            return self(routing_key, event)   # one event, one key: as it always was
        payloads = [(keys, self._payload(event)) for keys, event in by_event.values()]
        for routing_key, cc, body in bundle_messages(payloads):
            self.publisher.publish(body, routing_key=routing_key, headers={"CC": cc},
                                   type=BUNDLE)

    def _payload(self, event: Event) -> dict:
        if event.request_id is None:
            event.request_id = self.worker_ctx.data.get("request_id")
        return event.model_dump(mode="json")


class MongoDatabase(DependencyProvider):
    """A pymongo Database (pymongo pools connections and is eventlet-friendly)."""

    def setup(self):
        self.database = mongo_database()

    def stop(self):
        self.database.client.close()

    def get_dependency(self, worker_ctx):
        return self.database


class RedisClient(DependencyProvider):
    def setup(self):
        self.client = redis_client()

    def get_dependency(self, worker_ctx):
        return self.client


class S3Storage(DependencyProvider):
    """boto3 clients: one for server-side calls, one that signs URLs for browsers."""

    def setup(self):
        cfg = get_config()
        self.client = s3_client()
        self.presigner = s3_client(cfg["s3.public_endpoint"] or cfg["s3.endpoint"])
        self.bucket = cfg["s3.bucket"]

    def get_dependency(self, worker_ctx):
        return self
