"""What messaging's store costs on the real FerretDB: a send, a history page, a
fetch by id, and how that changes as the database fills.

Drives services/messaging/storage.py directly (no RPC, no gateway) against the
running FerretDB, in a database of its own (``<mongo.database>_bench``, dropped
before and after), so the numbers are the store's alone. Every message lands in
one of CHANNELS channels; after each round of ROUND sends it times the
operations again with the collection that much bigger. A store whose queries
scan the collection shows it as costs growing with the rounds; the same page
read by a field query (``history_by_field_query_50``) shows what a scan costs.

    make bench            # or: .venv/bin/python -m bench.message_store --rounds 4
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from bench.load.procstat import supervisor_pid
from services.common.config import get_config
from services.common.stores import mongo_database
from services.messaging import storage

CHANNELS = 10


def timed(operation, times: int) -> dict:
    """p50/p95/max of ``operation()`` in milliseconds over ``times`` runs."""
    samples = []
    for i in range(times):
        started = time.perf_counter()
        operation(i)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
            "max_ms": round(samples[-1], 2)}


def send(db, channel: str, client_msg_id: str) -> dict:
    """What messaging.send does in the store for a new message."""
    message_id = storage.reserve(db, channel, client_msg_id)[0]
    doc, _ = storage.insert_message(db, message_id, channel, "bench-user", client_msg_id,
                                    "a message of about the usual length, with a few words",
                                    [])
    return doc


@contextmanager
def bench_database(suffix: str = "bench") -> Iterator:
    """A database of the stack's FerretDB for one benchmark alone
    (``<mongo.database>_<suffix>``): emptied, given messaging's indexes, and dropped
    afterwards."""
    client = mongo_database().client
    name = f"{get_config()['mongo.database']}_{suffix}"
    client.drop_database(name)
    db = client[name]
    storage.ensure_indexes(db)
    try:
        yield db
    finally:
        client.drop_database(name)


def ferretdb_pid() -> int:
    """FerretDB's process id (its CPU is read around a benchmark), or exit."""
    pid = supervisor_pid("ferretdb")
    if pid is None:
        raise SystemExit("FerretDB is not running: make up first")
    return pid


def run(rounds: int, per_round: int, samples: int) -> dict:
    cfg = get_config()
    channels = [f"bench-{n}" for n in range(CHANNELS)]
    ids: list[str] = []
    results = []
    with bench_database() as db:
        for round_number in range(1, rounds + 1):
            started = time.perf_counter()
            for i in range(per_round):
                doc = send(db, channels[i % CHANNELS], f"r{round_number}-{i}")
                ids.append(doc["id"])
            fill_ms = (time.perf_counter() - started) * 1000 / per_round
            big = channels[0]
            results.append({
                "messages_stored": len(ids),
                "send_while_filling_mean_ms": round(fill_ms, 2),
                "send": timed(lambda i: send(db, big, f"s{round_number}-{i}"), samples),
                "history_latest_50": timed(lambda i: storage.history(db, big, limit=50),
                                           samples),
                "history_after_0_50": timed(lambda i: storage.history(db, big, after=0,
                                                                      limit=50), samples),
                "get_by_id": timed(lambda i: storage.get_message(db, ids[i * 7 % len(ids)]),
                                   samples),
                "outbox_poll": timed(lambda i: storage.outbox_entries(db), samples),
                # the same page by a field query, as the store did before: a scan
                "history_by_field_query_50": timed(lambda i: list(
                    db.messages.find({"channel_id": big}).sort("seq", -1).limit(50)), samples),
            })
            ids.extend(d["id"] for d in storage.history(db, big, limit=samples))
            storage.dequeue(db, [e["_id"] for e in storage.outbox_entries(db, 10 ** 6)])
            print(json.dumps(results[-1]), flush=True)
    return {"benchmark": "message_store", "at": datetime.now(timezone.utc).isoformat(),
            "mongo": cfg["mongo.uri"], "channels": CHANNELS, "rounds": results}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--per-round", type=int, default=500)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--out", default="var/bench/message_store.json")
    args = parser.parse_args(argv)
    report = run(args.rounds, args.per_round, args.samples)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
