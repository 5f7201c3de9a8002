"""The six Parley dashboards. Each panel's title is the question an on-call engineer
asks; its description says what to look at and what is normal. Template variables:
$instance everywhere, $service where calls are per service, $store on Stores."""
from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from .kit import (BYTES, COUNT, OK, OPS, PERCENT, RATE, REQPS, SECONDS, board, graph, q,
                  quantile, ratio, single, thresholds, variable)

# Typed client errors: the service answered as designed (recording.yml uses the same list).
CLIENT_ERRORS = "invalid_input|unauthenticated|forbidden|not_found|conflict|length_required|too_large|rate_limited"
SLO_THRESHOLD = "0.25"   # the fan-out SLO: 99% of deliveries under 250 ms
ERROR_RATIO = thresholds(OK, (0.01, "yellow"), (0.05, "red"))
BURN = thresholds(OK, (1, "yellow"), (6, "orange"), (14.4, "red"))


def overview() -> Dashboard:
    gw = 'instance=~"$instance"'
    svc = 'service=~"$service"'
    http_all = f"sum(rate(parley_http_requests_total{{{gw}}}[{RATE}]))"
    http_5xx = f'sum(rate(parley_http_requests_total{{{gw},status=~"5.."}}[{RATE}]))'
    rpc_all = f"sum by (service) (rate(parley_rpc_calls_total{{{svc}}}[{RATE}]))"
    rpc_err = (f'sum by (service) (rate(parley_rpc_errors_total{{{svc},'
               f'error!~"{CLIENT_ERRORS}"}}[{RATE}]))')
    return (
        board("parley-overview", "Parley / Overview",
              "Golden signals of the whole platform and the real-time delivery SLO: is Parley "
              "up, are messages flowing, are requests failing or slow. Start here.", ["overview"])
        .with_variable(variable("instance", "gateway", "label_values(parley_http_requests_total, instance)"))
        .with_variable(variable("service", "service", "label_values(parley_rpc_calls_total, service)"))
        .with_panel(single(
            "Which jobs have processes down?",
            "Processes Prometheus cannot scrape, per job (0 everywhere is healthy). Any red: see "
            "docs/runbooks/instance-down.md and `make status`.",
            COUNT, q("sum by (job) (1 - up)", "{{job}}"),
            limits=thresholds(OK, (1, "red")), width=12))
        .with_panel(single(
            "Is real-time delivery within its SLO?",
            "Share of fan-out deliveries (bus event to socket write) under 250 ms over the last "
            "hour. The SLO is 99%.",
            PERCENT, q("1 - parley:ws_fanout_slow:ratio_rate1h", "last hour"),
            limits=thresholds((None, "red"), (0.99, "green"))))
        .with_panel(single(
            "How fast is the SLO's error budget burning?",
            "Burn rate of the fan-out SLO's error budget (1 = exactly the budget over 30 days). "
            "Pages at 14.4 over 1h and 5m; a ticket at 6 over 6h and 30m.",
            COUNT, q("parley:ws_fanout_slo:burn_rate1h", "1h"),
            q("parley:ws_fanout_slo:burn_rate6h", "6h"), limits=BURN))
        .with_panel(graph(
            "How much are people doing?",
            "HTTP requests answered by the gateways and messages stored, per second. A sudden "
            "drop to zero with processes up means clients cannot reach us.",
            REQPS, q(http_all, "HTTP requests"),
            q("sum(rate(parley_messages_sent_total[$__rate_interval]))", "messages sent"),
            q("sum(rate(parley_uploads_total[$__rate_interval]))", "files uploaded")))
        .with_panel(graph(
            "How many WebSocket frames flow?",
            "Frames per second into and out of the gateways' sockets.",
            OPS, q(f"sum by (direction) (rate(parley_ws_frames_total{{{gw}}}[{RATE}]))", "{{direction}}")))
        .with_panel(graph(
            "Are requests failing?",
            "Share of HTTP requests answered 5xx by the gateways (4xx are answers, not failures). "
            "Alert ParleyHTTPErrorRateHigh at 5% for 5 minutes.",
            PERCENT, q(ratio(http_5xx, http_all), "5xx share"), limits=ERROR_RATIO))
        .with_panel(graph(
            "Which routes fail?",
            "5xx answers per second by route and status (500 internal, 502/503 a service "
            "unavailable, 504 an RPC timeout); every route shows, at 0 while it does not fail.",
            REQPS, q(f'sum by (route, status) (rate(parley_http_requests_total{{{gw},status=~"5.."}}[{RATE}])) '
                     f"or 0 * sum by (route) (rate(parley_http_requests_total{{{gw}}}[{RATE}]))",
                     "{{route}} {{status}}")))
        .with_panel(graph(
            "Are RPC calls failing, and in which service?",
            "Share of each service's calls ending in a server error (typed client errors such "
            "as not_found excluded). Alert ParleyRPCErrorRateHigh at 5%.",
            PERCENT, q(ratio(rpc_err, rpc_all), "{{service}}"), limits=ERROR_RATIO))
        .with_panel(graph(
            "How long do HTTP requests take?",
            "p95 and p99 time to answer an HTTP request at the gateways, every route together.",
            SECONDS,
            q(quantile("0.95", "parley_http_request_duration_seconds", gw), "p95"),
            q(quantile("0.99", "parley_http_request_duration_seconds", gw), "p99"),
            limits=thresholds(OK, (0.5, "yellow"), (1, "red"))))
        .with_panel(graph(
            "How long do RPC calls take in each service?",
            "p99 time a service spends handling a call, per service.",
            SECONDS,
            q(quantile("0.99", "parley_rpc_duration_seconds", svc, "service"), "{{service}}"),
            limits=thresholds(OK, (0.25, "yellow"), (1, "red"))))
        .with_panel(graph(
            "How many people are connected?",
            "Open WebSockets across gateways, and people online or away (presence).",
            COUNT, q(f"sum(parley_ws_connections{{{gw}}})", "open sockets"),
            q("max by (status) (parley_people_online)", "people {{status}}")))
        .with_panel(graph(
            "Do events reach the consumers?",
            "Events written to Kafka by the outbox relay and applied by each consumer group, per "
            "second, and the outbox backlog (stored, not yet on Kafka). Consumed below produced "
            "for long: see the Data pipeline dashboard.",
            OPS, q(f"sum(rate(parley_events_published_total[{RATE}]))", "produced"),
            q(f"sum by (group) (rate(parley_events_consumed_total[{RATE}]))", "consumed by {{group}}"),
            q("max(parley_outbox_backlog)", "outbox backlog")))
        .with_panel(graph(
            "Is the SLO's error budget burning over time?",
            "Burn rates of the fan-out SLO over 5 minutes, 1 hour and 6 hours. Lines: 6 (ticket "
            "with the 30m window) and 14.4 (page with the 5m window).",
            COUNT, q("parley:ws_fanout_slo:burn_rate5m", "5m"),
            q("parley:ws_fanout_slo:burn_rate1h", "1h"), q("parley:ws_fanout_slo:burn_rate6h", "6h"),
            limits=BURN))
    )


def realtime() -> Dashboard:
    gw = 'instance=~"$instance"'

    return (
        board("parley-realtime", "Parley / Real time",
              "The gateways' WebSockets: how many, what flows, how fast fan-out is, why sockets "
              "close, resumes and limits.", ["realtime"])
        .with_variable(variable("instance", "gateway", "label_values(parley_ws_connections, instance)"))
        .with_row(Row("Sockets and frames"))
        .with_panel(graph(
            "How many sockets does each gateway hold?",
            "Open WebSockets per gateway. Very uneven: long-lived sockets stay where they landed; "
            "a sudden drop: that gateway dropped its clients.",
            COUNT, q(f"sum by (instance) (parley_ws_connections{{{gw}}})", "{{instance}}")))
        .with_panel(graph(
            "What frames flow, by type?",
            "Frames per second by direction and type (send, ack, message, typing, ...).",
            OPS, q(f"sum by (direction, type) (rate(parley_ws_frames_total{{{gw}}}[{RATE}]))",
                   "{{direction}} {{type}}")))
        .with_row(Row("Latency"))
        .with_panel(graph(
            "How long does fan-out take (bus event to socket write)?",
            "p50 and p99 from an event arriving from the real-time bus to it being written to a "
            "socket, per gateway. The SLO: 99% under 250 ms (the red line).",
            SECONDS, q(quantile("0.5", "parley_ws_fanout_delay_seconds", gw, "instance"), "p50 {{instance}}"),
            q(quantile("0.99", "parley_ws_fanout_delay_seconds", gw, "instance"), "p99 {{instance}}"),
            limits=thresholds(OK, (0.25, "red"))))
        .with_panel(graph(
            "What share of deliveries meets the 250 ms SLO?",
            "Fan-out deliveries under 250 ms among all, per gateway (SLI). Under 99% burns the "
            "error budget (Overview).",
            PERCENT,
            q(f'sum by (instance) (rate(parley_ws_fanout_delay_seconds_bucket{{{gw},le="{SLO_THRESHOLD}"}}[{RATE}])) '
              f"/ sum by (instance) (rate(parley_ws_fanout_delay_seconds_count{{{gw}}}[{RATE}]))", "{{instance}}"),
            limits=thresholds((None, "red"), (0.99, "green")), minimum=None))
        .with_panel(graph(
            "How long until a send is acknowledged?",
            "p50 and p99 from a send frame read to its ack written: includes messaging's RPC "
            "(MongoDB and the outbox).",
            SECONDS, q(quantile("0.5", "parley_ws_send_ack_seconds", gw), "p50"),
            q(quantile("0.99", "parley_ws_send_ack_seconds", gw), "p99"),
            limits=thresholds(OK, (0.5, "yellow"), (1, "red"))))
        .with_row(Row("Disconnects, resumes and limits"))
        .with_panel(graph(
            "Why are sockets closing?",
            "Disconnects per second by reason and gateway. A spike on one gateway pages "
            "(ParleyWebSocketDisconnectSpike).",
            OPS, q(f"sum by (instance, reason) (rate(parley_ws_disconnects_total{{{gw}}}[{RATE}]))",
                   "{{reason}} {{instance}}")))
        .with_panel(graph(
            "Are clients resuming, and how much is replayed?",
            "Resume frames handled and messages replayed from history to resuming sockets, per "
            "second. A burst follows a gateway restart.",
            OPS, q(f"sum(rate(parley_ws_resumes_total{{{gw}}}[{RATE}]))", "resumes"),
            q(f"sum(rate(parley_ws_resume_replayed_messages_total{{{gw}}}[{RATE}]))", "replayed messages")))
        .with_panel(graph(
            "Which limits close sockets?",
            "Sockets closed by the gateway's limits, by reason (frame too big, flood, pending "
            "writes), per second.",
            OPS, q(f"sum by (reason) (rate(parley_ws_limit_closes_total{{{gw}}}[{RATE}]))", "{{reason}}")))
        .with_panel(graph(
            "Are rate limits refusing requests?",
            "Requests refused by the per-person and per-IP limits, and requests let through "
            "because Redis could not be asked (should be 0).",
            REQPS, q(f"sum by (scope) (rate(parley_rate_limit_rejections_total{{{gw}}}[{RATE}]))", "refused {{scope}}"),
            q(f"sum(rate(parley_rate_limit_unavailable_total{{{gw}}}[{RATE}]))", "unchecked (Redis down)")))
    )


def services() -> Dashboard:
    sel = 'service=~"$service",instance=~"$instance"'
    calls = f"sum by (service) (rate(parley_rpc_calls_total{{{sel}}}[{RATE}]))"
    server_errors = (f'sum by (service) (rate(parley_rpc_errors_total{{{sel},'
                     f'error!~"{CLIENT_ERRORS}"}}[{RATE}]))')

    return (
        board("parley-services", "Parley / Services",
              "Nameko RPC per service, method and instance: rate, errors, latency, busy workers, "
              "and what callers see.", ["services"])
        .with_variable(variable("service", "service", "label_values(parley_rpc_calls_total, service)"))
        .with_variable(variable("instance", "instance",
                                'label_values(parley_rpc_calls_total{service=~"$service"}, instance)'))
        .with_row(Row("Traffic and errors"))
        .with_panel(graph(
            "How many calls per second, per method?",
            "RPC calls handled, per service and method.",
            REQPS, q(f"sum by (service, method) (rate(parley_rpc_calls_total{{{sel}}}[{RATE}]))",
                     "{{service}}.{{method}}")))
        .with_panel(graph(
            "Is the load shared between instances?",
            "Calls handled per instance: instances of one service should be close.",
            REQPS, q(f"sum by (service, instance) (rate(parley_rpc_calls_total{{{sel}}}[{RATE}]))",
                     "{{service}} {{instance}}")))
        .with_panel(graph(
            "Which methods fail, and how?",
            "Calls ending in an error per second, by method and error (a typed error's code, or "
            "an exception class). not_found, forbidden and the like are answers, not faults.",
            REQPS, q(f"sum by (service, method, error) (rate(parley_rpc_errors_total{{{sel}}}[{RATE}]))",
                     "{{service}}.{{method}} {{error}}")))
        .with_panel(graph(
            "What share of calls fail with a server error?",
            "Per service, server errors among calls (client errors excluded). Alert at 5%.",
            PERCENT, q(ratio(server_errors, calls), "{{service}}"), limits=ERROR_RATIO))
        .with_row(Row("Latency and saturation"))
        .with_panel(graph(
            "How long do calls take (p95 and p99)?",
            "Time handling a call in the service, per service and method.",
            SECONDS, q(quantile("0.95", "parley_rpc_duration_seconds", sel, "service, method"), "p95 {{service}}.{{method}}"),
            q(quantile("0.99", "parley_rpc_duration_seconds", sel, "service, method"), "p99 {{service}}.{{method}}"),
            limits=thresholds(OK, (0.25, "yellow"), (1, "red"))))
        .with_panel(graph(
            "Is one instance slower than the others?",
            "p99 handling time per instance.",
            SECONDS, q(quantile("0.99", "parley_rpc_duration_seconds", sel, "service, instance"), "{{service}} {{instance}}"),
            limits=thresholds(OK, (0.25, "yellow"), (1, "red"))))
        .with_panel(graph(
            "Are workers saturated?",
            "Entrypoints running now per instance. Nameko runs at most 10 workers per instance: "
            "near 10, calls queue in RabbitMQ.",
            COUNT, q(f"sum by (service, instance) (parley_rpc_in_flight{{{sel}}})", "{{service}} {{instance}}"),
            limits=thresholds(OK, (8, "yellow"), (10, "red"))))
        .with_panel(graph(
            "Are calls waiting in RabbitMQ?",
            "Messages ready (waiting for a worker) and unacknowledged (being worked on) in "
            "RabbitMQ's queues.",
            COUNT, q("sum(rabbitmq_queue_messages_ready)", "ready"),
            q("sum(rabbitmq_queue_messages_unacked)", "unacked")))
        .with_row(Row("What callers see"))
        .with_panel(graph(
            "How do callers' calls end, when not ok?",
            "Calls made by the gateways, consumers and services, per outcome other than ok "
            "(timeout: the service did not answer in time).",
            REQPS, q(f'sum by (service, outcome) (rate(parley_rpc_client_calls_total{{service=~"$service",outcome!="ok"}}[{RATE}]))',
                     "{{service}} {{outcome}}")))
        .with_panel(graph(
            "How long do callers wait (round trip)?",
            "p99 round trip seen by the caller: handling time plus RabbitMQ and queueing.",
            SECONDS,
            q(quantile("0.99", "parley_rpc_client_duration_seconds", 'service=~"$service"', "service"),
              "{{service}}"),
            limits=thresholds(OK, (0.5, "yellow"), (2, "red"))))
    )


def pipeline() -> Dashboard:
    inst = 'instance=~"$instance"'
    return (
        board("parley-pipeline", "Parley / Data pipeline",
              "Events from messaging's outbox through Kafka to the consumers (users, channels, "
              "search, notifications).", ["pipeline"])
        .with_variable(variable("instance", "process", 'label_values(up{job=~"events|kafka"}, instance)'))
        .with_row(Row("Outbox to Kafka"))
        .with_panel(graph(
            "Is the outbox draining?",
            "Events stored with a message change but not yet on Kafka. It should hover near 0.",
            COUNT, q(f"max(parley_outbox_backlog{{{inst}}})", "backlog")))
        .with_panel(graph(
            "How old is the oldest event not yet on Kafka?",
            "Pages over 60 s for 2 minutes (ParleyOutboxOldestEventOld).",
            SECONDS, q(f"max(parley_outbox_oldest_age_seconds{{{inst}}})", "oldest"),
            limits=thresholds(OK, (10, "yellow"), (60, "red"))))
        .with_panel(graph(
            "Are events reaching Kafka?",
            "Events produced by the outbox relay, per topic, and messages the broker took in.",
            OPS, q(f"sum by (topic) (rate(parley_events_published_total{{{inst}}}[{RATE}]))", "{{topic}}"),
            q(f"sum(rate(kafka_server_brokertopicmetrics_messagesin_total[{RATE}]))", "broker: messages in")))
        .with_panel(graph(
            "Is the Kafka broker healthy?",
            "Offline and under-replicated partitions (0 is healthy) and the active controller "
            "count (1 is healthy).",
            COUNT, q("sum(kafka_controller_kafkacontroller_offlinepartitionscount)", "offline partitions"),
            q("sum(kafka_server_replicamanager_underreplicatedpartitions)", "under-replicated"),
            q("sum(kafka_controller_kafkacontroller_activecontrollercount)", "active controllers")))
        .with_row(Row("Consumers"))
        .with_panel(graph(
            "Are consumers applying events?",
            "Events applied per second by each consumer group and topic.",
            OPS, q(f"sum by (group, topic) (rate(parley_events_consumed_total{{{inst}}}[{RATE}]))",
                   "{{group}} {{topic}}")))
        .with_panel(graph(
            "How far behind is each consumer group?",
            "Records on Kafka not yet applied, per group and partition. Pages over 1000 for 10 "
            "minutes (ParleyConsumerLagHigh).",
            COUNT, q(f"sum by (group, partition) (parley_consumer_lag_records{{{inst}}})",
                     "{{group}} p{{partition}}"),
            limits=thresholds(OK, (100, "yellow"), (1000, "red"))))
        .with_panel(graph(
            "Are events delivered twice?",
            "Events a consumer skipped because it had applied them already (redelivery after a "
            "restart or rebalance), per second; every consuming group shows, at 0 while it "
            "sees none. Harmless, but a steady stream means consumers restart or rebalance in "
            "a loop.",
            OPS, q(f"sum by (group, topic) (rate(parley_events_duplicates_total{{{inst}}}[{RATE}])) "
                   f"or 0 * sum by (group, topic) (rate(parley_events_consumed_total{{{inst}}}[{RATE}]))",
                   "{{group}} {{topic}}")))
        .with_panel(graph(
            "How much does Kafka keep on disk?",
            "Size of the topics' logs on the broker.",
            BYTES, q('sum by (topic) (kafka_log_size_bytes{topic!~"__.*"})', "{{topic}}")))
    )


def stores() -> Dashboard:
    sel = 'store=~"$store",instance=~"$instance"'
    ops = f"sum by (store) (rate(parley_store_operation_duration_seconds_count{{{sel}}}[{RATE}]))"
    errors = f"sum by (store) (rate(parley_store_errors_total{{{sel}}}[{RATE}]))"
    var_free = 'node_filesystem_avail_bytes{volume="var"}'
    return (
        board("parley-stores", "Parley / Stores",
              "PostgreSQL, MongoDB (FerretDB locally), Redis and S3 as Parley's processes see "
              "them, the servers' own exporters, and the disk under var/.", ["stores"])
        .with_variable(variable("store", "store", "label_values(parley_store_operation_duration_seconds_count, store)"))
        .with_variable(variable("instance", "process",
                                'label_values(parley_store_operation_duration_seconds_count{store=~"$store"}, instance)'))
        .with_row(Row("Operations as Parley sees them"))
        .with_panel(graph(
            "How long do store operations take (p99)?",
            "p99 time of one operation on a store, per store and operation, as the client sees it.",
            SECONDS,
            q(quantile("0.99", "parley_store_operation_duration_seconds", sel, "store, operation"),
              "{{store}} {{operation}}"),
            limits=thresholds(OK, (0.1, "yellow"), (0.5, "red"))))
        .with_panel(graph(
            "How many operations per second, per store?",
            "Operations Parley's processes run on each store.",
            OPS, q(ops, "{{store}}")))
        .with_panel(graph(
            "Which store operations fail?",
            "Failed operations per second (the store refused or was unreachable), per store "
            "and operation; every operation in use shows, at 0 while it does not fail.",
            OPS, q(f"sum by (store, operation) (rate(parley_store_errors_total{{{sel}}}[{RATE}])) "
                   f"or 0 * sum by (store, operation) (rate(parley_store_operation_duration_seconds_count{{{sel}}}[{RATE}]))",
                   "{{store}} {{operation}}")))
        .with_panel(graph(
            "What share of store operations fail?",
            "Failed operations among all, per store.",
            PERCENT, q(ratio(errors, ops), "{{store}}"), limits=ERROR_RATIO))
        .with_row(Row("The servers"))
        .with_panel(single(
            "Are the stores up?",
            "1: the exporter reaches the server (pg_up, redis_up) or Prometheus scrapes it "
            "(FerretDB, SeaweedFS, RabbitMQ, Kafka). 0: down.",
            COUNT, q("max(pg_up)", "postgres"), q("max(redis_up)", "redis"),
            q('max by (job) (up{job=~"ferretdb|seaweedfs|rabbitmq|kafka"})', "{{job}}"),
            limits=thresholds((None, "red"), (1, "green")), width=24))
        .with_panel(graph(
            "How many connections does PostgreSQL hold?",
            "Backends per database, and the server's max_connections.",
            COUNT, q('sum by (datname) (pg_stat_database_numbackends{datname=~"parley.*"})', "{{datname}}"),
            q("max(pg_settings_max_connections)", "max_connections")))
        .with_panel(graph(
            "How big are the databases?",
            "Size of each Parley PostgreSQL database.",
            BYTES, q('sum by (datname) (pg_database_size_bytes{datname=~"parley.*"})', "{{datname}}")))
        .with_panel(graph(
            "Is Redis healthy?",
            "Connected clients and memory used.",
            COUNT, q("sum(redis_connected_clients)", "clients")))
        .with_panel(graph(
            "How much memory do Redis and FerretDB use?",
            "Redis's used memory and FerretDB's resident memory.",
            BYTES, q("sum(redis_memory_used_bytes)", "redis"),
            q('sum(process_resident_memory_bytes{job="ferretdb"})', "ferretdb")))
        .with_row(Row("Disk"))
        .with_panel(graph(
            "How full is the disk under var/?",
            "Free share of the filesystem holding var/ (every store's data). Ticket when it "
            "fills within a day, page under 5% free.",
            PERCENT, q(f'{var_free} / node_filesystem_size_bytes{{volume="var"}}', "free {{mountpoint}}"),
            limits=thresholds((None, "red"), (0.05, "orange"), (0.25, "green"))))
        .with_panel(graph(
            "When will the disk under var/ be full?",
            "Free bytes now and predicted in 24 hours at the rate of the last 6 hours (below 0: "
            "full within a day).",
            BYTES, q(var_free, "free now"),
            q(f"predict_linear({var_free}[6h], 24 * 3600)", "predicted in 24h"),
            limits=thresholds((None, "red"), (0, "green")), minimum=None))
    )


def notifications() -> Dashboard:
    inst = 'instance=~"$instance"'
    push = f'sum(rate(parley_notification_attempts_total{{{inst},channel="push",outcome!="retry"}}[{RATE}]))'
    push_failed = f'sum(rate(parley_notification_attempts_total{{{inst},channel="push",outcome="failed"}}[{RATE}]))'
    return (
        board("parley-notifications", "Parley / Notifications",
              "Web push and email digests: what is decided, how it ends, and whether the push "
              "services and the mail relay take it.", ["notifications"])
        .with_variable(variable("instance", "instance",
                                "label_values(parley_notifications_delivered_total, instance)"))
        .with_panel(graph(
            "What is decided, and why?",
            "Notifications decided per second (once per message, person and channel), by "
            "channel (push, email) and reason (dm, mention, thread, ...).",
            OPS, q(f"sum by (channel, reason) (rate(parley_notifications_decided_total{{{inst}}}[{RATE}]))",
                   "{{channel}} {{reason}}")))
        .with_panel(graph(
            "How do notifications end?",
            "Notifications finished per second by channel and outcome: sent, failed, no_device, "
            "read (seen before sending), disabled.",
            OPS, q(f"sum by (channel, outcome) (rate(parley_notifications_delivered_total{{{inst}}}[{RATE}]))",
                   "{{channel}} {{outcome}}")))
        .with_panel(graph(
            "Are pushes getting through?",
            "Push attempts per second by outcome: sent, gone (the browser dropped the "
            "subscription), retry, failed (after retries).",
            OPS, q(f'sum by (outcome) (rate(parley_notification_attempts_total{{{inst},channel="push"}}[{RATE}]))',
                   "{{outcome}}")))
        .with_panel(graph(
            "What share of pushes fail?",
            "Failed pushes among finished ones (retries not counted). Ticket over 20% for 15 "
            "minutes (ParleyPushFailuresHigh).",
            PERCENT, q(ratio(push_failed, push), "failed"),
            limits=thresholds(OK, (0.05, "yellow"), (0.2, "red"))))
        .with_panel(graph(
            "Are digest emails getting through?",
            "Email attempts per second by outcome; 0 while emails are decided but none is due "
            "yet (a digest waits notifications.digest_delay for the person to read first).",
            OPS, q(f'sum by (outcome) (rate(parley_notification_attempts_total{{{inst},channel="email"}}[{RATE}])) '
                   f'or 0 * sum(rate(parley_notifications_decided_total{{{inst},channel="email"}}[{RATE}]))',
                   "{{outcome}}")))
        .with_panel(graph(
            "Is the notifications consumer keeping up?",
            "Records of message.created the notifications consumer has not applied yet.",
            COUNT, q('sum(parley_consumer_lag_records{group="parley-notifications"})', "lag"),
            limits=thresholds(OK, (100, "yellow"), (1000, "red"))))
    )


DASHBOARDS = {
    "parley-overview": overview,
    "parley-realtime": realtime,
    "parley-services": services,
    "parley-pipeline": pipeline,
    "parley-stores": stores,
    "parley-notifications": notifications,
}
