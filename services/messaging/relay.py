"""`parley-outbox-relay`: moves messaging's events onto Kafka.

The messaging service never talks to Kafka (it runs under eventlet; aiokafka is
asyncio). Instead, before it stores a message or a change of one (edit, delete,
pin, reaction, thread count), it queues an entry in the ``outbox`` collection
naming it (storage.enqueue). This process reads the outbox in queue order,
produces each stored message as ``message.created`` and each change's stored
event to the topic named by its type (``message.updated``, ``message.deleted``,
``reaction.added``, ``reaction.removed``), keyed by channel id, with an
idempotent producer (acks=all), and only then deletes the entries. An entry
whose write has not happened yet waits; one whose write never happened (the
writer failed, or lost a race to another writer) is dropped after
storage.ORPHAN_AFTER. A crash between producing and deleting produces an event
twice; every consumer dedupes by event id (a message's event id is its id).
Run one relay: two would both work but could interleave a channel's order.
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
from services.common.metrics import (EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE,
                                     serve_metrics)

from . import storage

log = get_logger(__name__)
IDLE_SLEEP = 0.05
BATCH = 500
BACKLOG_EVERY = 1.0  # seconds between outbox backlog measurements (a count query)


async def relay_once(db, producer) -> int:
    """Produce the events of up to BATCH outbox entries, in the order they were
    queued, to the topic named by each event's type, keyed by channel id; then
    take the entries out. Returns how many entries were settled."""
    entries = await asyncio.to_thread(storage.outbox_entries, db, BATCH)
    if not entries:
        return 0
    sends, settled, topics = [], [], []
    resolved = await asyncio.to_thread(_resolve_all, db, entries)
    for entry, (what, doc) in zip(entries, resolved):
        if what == "wait":
            continue  # its write is still under way; the next round takes it
        settled.append(entry["_id"])
        if what == "drop":
            continue
        topic, value, request_id = _record(what, doc)
        headers = [("request_id", request_id.encode())] if request_id else None
        sends.append(await producer.send(topic, value, key=entry["channel_id"].encode(),
                                         headers=headers))
        topics.append(topic)
    await asyncio.gather(*sends)  # every record acknowledged by the broker
    await asyncio.to_thread(storage.dequeue, db, settled)
    for topic in topics:
        EVENTS_PUBLISHED.labels(topic).inc()
    return len(settled)


def _resolve_all(db, entries) -> list[tuple[str, dict | None]]:
    known = storage.written(db, entries)   # the batch's lookups, made together
    return [storage.resolve(db, entry, known=known) for entry in entries]


def _record(what: str, doc) -> tuple[str, bytes, str | None]:
    """(topic, value, request id) of a stored message's or change's event."""
    if what == "message":
        request_id = doc.get("request_id")
        event = MessageCreated.of(Message.model_validate(storage.to_message(doc)), request_id)
        return MESSAGE_CREATED, event.to_json(), request_id
    event = json.loads(doc["event"])
    return event["type"], doc["event"].encode(), event.get("request_id")


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
                if loop.time() - measured_at >= BACKLOG_EVERY:
                    count, age = await asyncio.to_thread(storage.outbox_backlog, db)
                    OUTBOX_BACKLOG.set(count)
                    OUTBOX_OLDEST_AGE.set(age)
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
