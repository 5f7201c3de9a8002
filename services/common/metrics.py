"""Prometheus metrics, defined once for every Parley process.

Names follow Prometheus conventions (``_total`` counters, ``_seconds``
histograms); labels stay bounded: never user or channel ids. Every scrape (each
process, every 5 s) renders all series, which a profile under load showed as a fifth
of a gateway's CPU: so no ``_created`` series (nothing reads them), and a caller's
round-trip histogram is per callee service, not per method (the callee's own
``parley_rpc_duration_seconds`` has the method).
"""
from __future__ import annotations

import asyncio

from prometheus_client import (Counter, Gauge, Histogram, disable_created_metrics,
                               start_http_server)

from .errors import ParleyError

disable_created_metrics()

RPC_CALLS = Counter("parley_rpc_calls_total", "RPC calls handled by a service",
                    ["service", "method", "outcome"])
RPC_DURATION = Histogram("parley_rpc_duration_seconds", "RPC handling time in the service",
                         ["service", "method"])
RPC_ERRORS = Counter("parley_rpc_errors_total",
                     "RPC calls a service failed, by error code (typed errors) or exception class",
                     ["service", "method", "error"])
RPC_IN_FLIGHT = Gauge("parley_rpc_in_flight", "Workers of a service running an entrypoint now",
                      ["service"])
RPC_CLIENT_CALLS = Counter("parley_rpc_client_calls_total",
                           "RPC calls made by a caller (gateway, consumer or service), by outcome "
                           "(ok, an error code such as timeout, or error)",
                           ["service", "method", "outcome"])
RPC_CLIENT_DURATION = Histogram("parley_rpc_client_duration_seconds",
                                "RPC round trip seen by the caller, per callee service",
                                ["service"])
HTTP_REQUESTS = Counter("parley_http_requests_total", "HTTP requests served by a gateway",
                        ["route", "method", "status"])
HTTP_DURATION = Histogram("parley_http_request_duration_seconds", "HTTP request time", ["route"])
WS_CONNECTIONS = Gauge("parley_ws_connections", "Open WebSocket connections")
RATE_LIMIT_REJECTIONS = Counter("parley_rate_limit_rejections_total",
                                "Requests refused by a gateway's rate limits", ["scope"])
RATE_LIMIT_UNAVAILABLE = Counter("parley_rate_limit_unavailable_total",
                                 "Requests let through because Redis could not be asked")
WS_FRAMES = Counter("parley_ws_frames_total", "WebSocket frames", ["direction", "type"])
WS_RESUMES = Counter("parley_ws_resumes_total", "WebSocket resume frames handled")
WS_RESUME_REPLAYED = Counter("parley_ws_resume_replayed_messages_total",
                             "Messages sent again to resuming WebSockets from history")
WS_LIMIT_CLOSES = Counter("parley_ws_limit_closes_total",
                          "WebSockets closed by a gateway's limits", ["reason"])
WS_DISCONNECTS = Counter("parley_ws_disconnects_total",
                         "WebSockets ended, by why (gateway_tornado/ws_protocol.py)", ["reason"])
# A send's ack waits for messaging's RPC (MongoDB, the outbox): milliseconds to seconds.
WS_SEND_ACK = Histogram("parley_ws_send_ack_seconds",
                        "From a send frame read to its ack written to the socket",
                        buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
# Fan-out is in-memory work once the event is here: sub-millisecond unless the loop is busy
# or the event was held for a resume.
WS_FANOUT_DELAY = Histogram("parley_ws_fanout_delay_seconds",
                            "From an event received from the real-time bus to it written to a socket",
                            buckets=(.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1,
                                     .25, 1, 5))
MESSAGES_SENT = Counter("parley_messages_sent_total", "Messages stored (not counting retries)")
UPLOADS = Counter("parley_uploads_total", "Files uploaded and stored (counted by the gateway)")
UPLOAD_BYTES = Counter("parley_upload_bytes_total", "Bytes of the files uploaded and stored")
PEOPLE_ONLINE = Gauge("parley_people_online",
                      "People with a live session, by status (online or away); every presence "
                      "instance reports the same count: aggregate with max", ["status"])
EVENTS_PUBLISHED = Counter("parley_events_published_total", "Events written to Kafka", ["topic"])
EVENTS_CONSUMED = Counter("parley_events_consumed_total", "Events applied by a consumer",
                          ["topic", "group"])
OUTBOX_BACKLOG = Gauge("parley_outbox_backlog", "Stored events not yet on Kafka")
OUTBOX_OLDEST_AGE = Gauge("parley_outbox_oldest_age_seconds",
                          "Age of the oldest stored event not yet on Kafka")
EVENTS_DUPLICATES = Counter("parley_events_duplicates_total",
                            "Events a consumer skipped because it had applied them already",
                            ["topic", "group"])
CONSUMER_LAG = Gauge("parley_consumer_lag_records",
                     "Records on Kafka a consumer group has not applied yet",
                     ["topic", "partition", "group"])

# Stores: one sample per call where the process reaches the store (store_metrics.py).
# store: postgres, mongo, redis, s3; operation: a bounded verb (select, find, get, put, ...)
STORE_DURATION = Histogram("parley_store_operation_duration_seconds",
                           "Time of one operation on a store, as the client sees it",
                           ["store", "operation"],
                           buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1,
                                    2.5, 5, 10))
STORE_ERRORS = Counter("parley_store_errors_total",
                       "Operations on a store that failed (the store refused or was unreachable)",
                       ["store", "operation"])


def outcome_label(error: BaseException | None) -> str:
    """An RPC's outcome: ``ok``, a typed error's code (``not_found``, ``timeout``, …),
    ``cancelled`` (the caller stopped waiting), or ``error`` (anything else: a bug)."""
    if error is None:
        return "ok"
    if isinstance(error, ParleyError):
        return error.code
    return "cancelled" if isinstance(error, asyncio.CancelledError) else "error"


def error_label(error: BaseException) -> str:
    """An RPC's failure: a typed error's code, else the exception's class name (a
    bounded set: the classes the code base can raise)."""
    return error.code if isinstance(error, ParleyError) else type(error).__name__


def serve_metrics(port: int, addr: str = "127.0.0.1") -> None:
    """Expose /metrics from a background thread (asyncio processes)."""
    start_http_server(port, addr=addr)
