"""Prometheus metrics, defined once for every Parley process.

Names follow Prometheus conventions (``_total`` counters, ``_seconds``
histograms); labels stay bounded: never user or channel ids.
"""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

RPC_CALLS = Counter("parley_rpc_calls_total", "RPC calls handled by a service",
                    ["service", "method", "outcome"])
RPC_DURATION = Histogram("parley_rpc_duration_seconds", "RPC handling time in the service",
                         ["service", "method"])
RPC_CLIENT_CALLS = Counter("parley_rpc_client_calls_total", "RPC calls made by an asyncio client",
                           ["service", "method", "outcome"])
RPC_CLIENT_DURATION = Histogram("parley_rpc_client_duration_seconds",
                                "RPC round trip seen by an asyncio client", ["service", "method"])
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
MESSAGES_SENT = Counter("parley_messages_sent_total", "Messages stored (not counting retries)")
EVENTS_PUBLISHED = Counter("parley_events_published_total", "Events written to Kafka", ["topic"])
EVENTS_CONSUMED = Counter("parley_events_consumed_total", "Events applied by a consumer",
                          ["topic", "group"])
OUTBOX_BACKLOG = Gauge("parley_outbox_backlog", "Stored events not yet on Kafka")
OUTBOX_OLDEST_AGE = Gauge("parley_outbox_oldest_age_seconds",
                          "Age of the oldest stored event not yet on Kafka")
CONSUMER_LAG = Gauge("parley_consumer_lag_records",
                     "Records on Kafka a consumer group has not applied yet",
                     ["topic", "partition", "group"])


def serve_metrics(port: int, addr: str = "127.0.0.1") -> None:
    """Expose /metrics from a background thread (asyncio processes)."""
    start_http_server(port, addr=addr)
