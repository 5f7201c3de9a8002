"""`parley-consumer SERVICE`: apply Kafka events to a service's own state.

Each consuming service declares in ``services/<name>/consumer.py`` which topic
goes to which of its RPC methods (``ROUTES``). This process is the asyncio half
(aiokafka, its own consumer group ``parley-<name>``); the state change itself
happens inside the service, which owns its database, idempotently by event id. The
records a fetch brings are handed over a topic at a time (every partition's records
in one call, each partition's in order), ``BATCH`` at a time, through the service's
``apply_events`` RPC (services/common/event_batches.py), which applies each as the
routed method would. Offsets are committed only after the RPC succeeded, so every
event is applied at least once and, thanks to idempotence, in effect once.
Each service's ``consumer.py`` also tells, with ``already_applied(answer)``,
whether its answer means the event had been applied before (a replay after a crash
or a rebalance): such events count in ``parley_events_duplicates_total``.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os

from aiokafka import AIOKafkaConsumer

from .catalog import CONSUMING_SERVICES
from .config import get_config
from .errors import ParleyError, permanent
from .logging import bind_request_id, configure_logging, get_logger
from .metrics import CONSUMER_LAG, EVENTS_CONSUMED, EVENTS_DUPLICATES, serve_metrics
from .process import run_until_signalled
from .rpc_client import AsyncRpcClient

log = get_logger(__name__)


backoff = asyncio.sleep  # how apply() waits between retries (a seam for tests)


BATCH = 50  # events per call: a call stays far inside the RPC timeout


def never_applied(answer) -> bool:
    """For a service that cannot tell a replay from a first time."""
    return False


def _event(record) -> dict | None:
    try:
        event = json.loads(record.value)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        log.error("event_not_a_json_object", topic=record.topic, offset=record.offset)
        return None
    return event


async def apply(rpc: AsyncRpcClient, service: str, records: list,
                already_applied=never_applied) -> None:
    """Apply records of one topic, in order, retrying until the service accepts them.
    Events the service refuses for good (a 4xx error such as invalid_input or
    not_found) and records that are not JSON objects are logged and skipped.
    ``already_applied(answer)``: whether the service's answer to an event says it had
    applied it before."""
    batch = [(record, event) for record in records if (event := _event(record)) is not None]
    if not batch:
        return
    topic = batch[0][0].topic
    delay = 0.2
    while True:
        try:
            outcomes = await rpc.call(service, "apply_events", topic,
                                      [event for _, event in batch])
            break
        except ParleyError as exc:
            if permanent(exc):   # the call itself is malformed: no event of it can apply
                log.error("events_rejected", topic=topic, offset=batch[0][0].offset,
                          count=len(batch), code=exc.code, error=str(exc))
                return
            log.warning("event_retry", topic=topic, offset=batch[0][0].offset, error=str(exc))
        except Exception as exc:  # service away or failing: never skip, back off
            log.warning("event_retry", topic=topic, offset=batch[0][0].offset, error=str(exc))
        await backoff(delay)
        delay = min(delay * 2, 5.0)
    group = f"parley-{service}"
    for (record, event), outcome in zip(batch, outcomes):
        bind_request_id(event.get("request_id"))
        where = {"topic": record.topic, "offset": record.offset,
                 "partition": getattr(record, "partition", None)}
        if "refused" in outcome:
            log.error("event_rejected", **where, code=outcome["refused"]["code"],
                      error=outcome["refused"]["message"])
            continue
        EVENTS_CONSUMED.labels(record.topic, group).inc()
        log.info("event_applied", **where)  # request id bound above
        answer = outcome["answer"]
        if isinstance(answer, dict) and already_applied(answer):
            EVENTS_DUPLICATES.labels(record.topic, group).inc()
    bind_request_id(None)


def calls_of(fetch: dict) -> list[list]:
    """The ``apply_events`` calls a fetch (``getmany``'s ``{partition: records}``)
    makes: its records by topic, one partition's after another's (each in order; the
    order between partitions never mattered), ``BATCH`` at a time. One call per
    partition made a fetch spread over six partitions six calls, most of them of one
    or two events (docs/performance.md)."""
    by_topic: dict[str, list] = {}
    for partition, records in fetch.items():
        by_topic.setdefault(partition.topic, []).extend(records)
    return [records[first:first + BATCH] for records in by_topic.values()
            for first in range(0, len(records), BATCH)]


async def export_lag(consumer: AIOKafkaConsumer, group: str) -> None:
    """Per assigned partition: the log end (as of the last fetch) minus our position."""
    for tp in consumer.assignment():
        end = consumer.highwater(tp)
        if end is not None:
            lag = max(end - await consumer.position(tp), 0)
            CONSUMER_LAG.labels(tp.topic, str(tp.partition), group).set(lag)


async def run(service: str, stop: asyncio.Event) -> None:
    cfg = get_config()
    declared = importlib.import_module(f"services.{service}.consumer")
    routes = declared.ROUTES
    already_applied = getattr(declared, "already_applied", never_applied)
    rpc = await AsyncRpcClient(cfg["amqp.uri"], timeout=float(cfg["amqp.rpc_timeout"]),
                               name=f"{service}-consumer").connect()
    consumer = AIOKafkaConsumer(*routes, bootstrap_servers=cfg["kafka.bootstrap"],
                                group_id=f"parley-{service}", enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=500)
    await consumer.start()
    log.info("consumer_started", topics=list(routes))
    for topic in routes:   # at 0 from the start: a rate of duplicates reads 0, not nothing
        EVENTS_DUPLICATES.labels(topic, f"parley-{service}")
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=200)
            for records in calls_of(batches):
                await apply(rpc, service, records, already_applied)
            if batches:
                await consumer.commit()
            await export_lag(consumer, f"parley-{service}")
    finally:
        await consumer.stop()
        await rpc.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service", choices=CONSUMING_SERVICES)
    args = parser.parse_args(argv)
    cfg = get_config()
    configure_logging(f"{args.service}-consumer")
    port = os.environ.get("PARLEY_METRICS_PORT") or cfg[f"events.{args.service}_consumer_metrics_port"]
    serve_metrics(int(port), cfg["stack.host"])

    run_until_signalled(lambda stop: run(args.service, stop))


if __name__ == "__main__":
    main()
