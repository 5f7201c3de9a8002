"""`parley-outbox-relay`: moves stored messages onto Kafka as `message.created`.

The messaging service never talks to Kafka (it runs under eventlet; aiokafka is
asyncio). Instead each message document is written with ``published: false`` and
this process publishes those in order, keyed by channel id, with an idempotent
producer (acks=all), and only then marks them published. A crash between the two
steps publishes a message twice; every consumer is idempotent by message id.
Run one relay: two would both work but could interleave a channel's order.

Later changes of a message (``message.updated``, ``message.deleted``,
``reaction.added``, ``reaction.removed``) are documents of ``message_changes``
holding their event with ``published: false`` (storage.claim_change); the relay
produces each to the topic named by its type, then marks it published. Each
change's event id is its own: consumers dedupe by event id.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os

from aiokafka import AIOKafkaProducer

from services.common.config import get_config
from services.common.stores import mongo_database
from services.common.events import MESSAGE_CREATED, Message, MessageCreated
from services.common.logging import configure_logging, get_logger
from services.common.process import run_until_signalled
from services.common.metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG, serve_metrics

from . import storage

log = get_logger(__name__)
IDLE_SLEEP = 0.05
BATCH = 500
BACKLOG_EVERY = 1.0  # seconds between outbox backlog measurements (a count query)


async def relay_once(db, producer) -> int:
    docs = await asyncio.to_thread(storage.unpublished, db, BATCH)
    if not docs:
        return 0
    sends = []
    for doc in docs:
        request_id = doc.get("request_id")
        event = MessageCreated.of(Message.model_validate(storage.to_message(doc)), request_id)
        headers = [("request_id", request_id.encode())] if request_id else None
        sends.append(await producer.send(MESSAGE_CREATED, event.to_json(), key=event.key,
                                         headers=headers))
    await asyncio.gather(*sends)  # every record acknowledged by the broker
    await asyncio.to_thread(storage.mark_published, db, [doc["_id"] for doc in docs])
    EVENTS_PUBLISHED.labels(MESSAGE_CREATED).inc(len(docs))
    return len(docs)


async def relay_changes_once(db, producer) -> int:
    """Produce the events of up to BATCH changes, in the order they were made, to
    the topic named by each event's type, then mark them published."""
    docs = await asyncio.to_thread(storage.pending_changes, db, BATCH)
    if not docs:
        return 0
    sends, types = [], []
    for doc in docs:
        event = json.loads(doc["event"])
        request_id = event.get("request_id")
        headers = [("request_id", request_id.encode())] if request_id else None
        sends.append(await producer.send(event["type"], doc["event"].encode(),
                                         key=doc["channel_id"].encode(), headers=headers))
        types.append(event["type"])
    await asyncio.gather(*sends)
    await asyncio.to_thread(storage.mark_changes_published, db, [doc["_id"] for doc in docs])
    for kind in types:
        EVENTS_PUBLISHED.labels(kind).inc()
    return len(docs)


async def run(stop: asyncio.Event) -> None:
    cfg = get_config()
    db = mongo_database()
    producer = AIOKafkaProducer(bootstrap_servers=cfg["kafka.bootstrap"], acks="all",
                                enable_idempotence=True, linger_ms=5)
    await producer.start()
    log.info("relay_started")
    loop = asyncio.get_running_loop()
    measured_at = 0.0
    try:
        while not stop.is_set():
            try:
                moved = await relay_once(db, producer)
                moved += await relay_changes_once(db, producer)
                if loop.time() - measured_at >= BACKLOG_EVERY:
                    OUTBOX_BACKLOG.set(await asyncio.to_thread(storage.count_unpublished, db))
                    measured_at = loop.time()
            except Exception:
                log.exception("relay_failed")  # stores or broker away: retry shortly
                moved = 0
                await asyncio.sleep(1)
            if not moved:
                try:
                    await asyncio.wait_for(stop.wait(), IDLE_SLEEP)
                except asyncio.TimeoutError:
                    pass
    finally:
        await producer.stop()


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    cfg = get_config()
    configure_logging("outbox-relay")
    serve_metrics(int(os.environ.get("PARLEY_METRICS_PORT") or cfg["events.relay_metrics_port"]),
                  cfg["stack.host"])

    run_until_signalled(run)


if __name__ == "__main__":
    main()
