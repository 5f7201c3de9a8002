"""`parley-consumer SERVICE`: apply Kafka events to a service's own state.

Each consuming service declares in ``services/<name>/consumer.py`` which topic
goes to which of its RPC methods (``ROUTES``). This process is the asyncio half
(aiokafka, its own consumer group ``parley-<name>``); the state change itself
happens inside the service, which owns its database, through an RPC that is
idempotent by event id. Offsets are committed only after the RPC succeeded, so
every event is applied at least once and, thanks to idempotence, in effect once.
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
from .errors import ParleyError, RateLimited
from .logging import bind_request_id, configure_logging, get_logger
from .metrics import CONSUMER_LAG, EVENTS_CONSUMED, EVENTS_DUPLICATES, serve_metrics
from .process import run_until_signalled
from .rpc_client import AsyncRpcClient

log = get_logger(__name__)


backoff = asyncio.sleep  # how apply() waits between retries (a seam for tests)


def permanent(error: ParleyError) -> bool:
    """A refusal that retrying cannot change: bad input, an unknown channel, …
    (4xx, except being rate limited)."""
    return 400 <= error.status < 500 and not isinstance(error, RateLimited)


def never_applied(answer) -> bool:
    """For a service that cannot tell a replay from a first time."""
    return False


async def apply(rpc: AsyncRpcClient, service: str, routes: dict[str, str], record,
                already_applied=never_applied) -> None:
    """Apply one record, retrying until the service accepts it. Events the service
    refuses for good (a 4xx error such as invalid_input or not_found) and records
    that are not JSON objects are logged and skipped. ``already_applied(answer)``:
    whether the service's answer says it had applied the event before."""
    try:
        event = json.loads(record.value)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        log.error("event_not_a_json_object", topic=record.topic, offset=record.offset)
        return
    bind_request_id(event.get("request_id"))
    delay = 0.2
    while True:
        try:
            answer = await rpc.call(service, routes[record.topic], event,
                                    _context={"request_id": event.get("request_id")})
            EVENTS_CONSUMED.labels(record.topic, f"parley-{service}").inc()
            log.info("event_applied", topic=record.topic, offset=record.offset,
                     partition=getattr(record, "partition", None))  # request id bound above
            if isinstance(answer, dict) and already_applied(answer):
                EVENTS_DUPLICATES.labels(record.topic, f"parley-{service}").inc()
            return
        except ParleyError as exc:
            if not permanent(exc):
                log.warning("event_retry", topic=record.topic, offset=record.offset,
                            error=str(exc))
                await backoff(delay)
                delay = min(delay * 2, 5.0)
                continue
            log.error("event_rejected", topic=record.topic, offset=record.offset,
                      code=exc.code, error=str(exc))
            return
        except Exception as exc:  # service away or failing: never skip, back off
            log.warning("event_retry", topic=record.topic, offset=record.offset, error=str(exc))
            await backoff(delay)
            delay = min(delay * 2, 5.0)


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
                                auto_offset_reset="earliest", fetch_max_wait_ms=50)
    await consumer.start()
    log.info("consumer_started", topics=list(routes))
    for topic in routes:   # at 0 from the start: a rate of duplicates reads 0, not nothing
        EVENTS_DUPLICATES.labels(topic, f"parley-{service}")
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=200)
            for records in batches.values():
                for record in records:
                    await apply(rpc, service, routes, record, already_applied)
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
