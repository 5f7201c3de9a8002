"""What concurrent writers cost on the real FerretDB: messaging's send path
(services/messaging/storage.py: reserve the id, queue the event, store the message
in its slot) run by 1, 2, 4, 8 and 16 threads at once, each sending into a
channel of its own, as the messaging instances' workers and the outbox relay write
at the same time under load.

SQLite lets one writer in at a time. It checks what ops/ferretdb/patches/
sqlite-writes-take-turns.patch claims: with the writers taking turns in FerretDB
instead of sleeping in SQLite's busy handler, sends per second hold up as writers
are added and the slowest sends stay a few times the single writer's, not a hundred.

    .venv/bin/python -m bench.ferretdb_writers [--sends 100] [--writers 1 2 4 8 16]

Runs in a database of its own (``<mongo.database>_bench_writers``, dropped before
and after); JSON in var/bench/ferretdb_writers.json.
"""
from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from bench.load.report import save_and_print
from bench.message_store import bench_database
from services.common.config import get_config
from services.messaging import storage


def send(db, channel_id: str, n: int) -> None:
    """One send as messaging makes it, without the RPC around it."""
    client_msg_id = f"c-{n}"
    message_id = storage.reserve(db, channel_id, client_msg_id)[0]
    storage.insert_message(db, message_id, channel_id, "bench", client_msg_id, f"hello {n}", [])


def writers_at_once(db, writers: int, sends: int) -> dict:
    """``writers`` threads, ``sends`` sends each: sends/s and latency in ms."""
    latencies: list[float] = []
    lock = threading.Lock()

    def write(k: int) -> None:
        mine = []
        for n in range(sends):
            started = time.perf_counter()
            send(db, f"writers-{writers}-{k}", n)
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)
    threads = [threading.Thread(target=write, args=(k,)) for k in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"writers": writers, "sends_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2], 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)], 2),
            "max_ms": round(latencies[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=100, help="sends per writer")
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    args = parser.parse_args()
    cfg = get_config()
    with bench_database("bench_writers") as db:
        rows = [writers_at_once(db, n, args.sends) for n in args.writers]
    save_and_print("ferretdb_writers", {"sends_per_writer": args.sends, "rows": rows},
                   ["writers", "sends/s", "p50 ms", "p99 ms", "max ms"],
                   [[row["writers"], row["sends_per_s"], row["p50_ms"], row["p99_ms"],
                     row["max_ms"]] for row in rows], Path(cfg["stack.var_dir"]) / "bench")

if __name__ == "__main__":
    main()
