"""What a send's round trips to FerretDB cost when queueing its event and finding its
slot go one after the other, and side by side (services/messaging/storage.py,
``insert_message``).

A new message reserves its id for the client id, queues its event in the outbox,
finds the channel's first free slot and stores the message in that slot. Finding the
slot (a read) needs nothing from the queueing (a write); messaging makes the two at
once on green threads and stores the message after both, so the event is still queued
first. This runs the store path both ways on the stack's real FerretDB (in a database
of its own, dropped afterwards) under eventlet's patched sockets, as the service runs,
with ``--writers`` senders at once (each into channels of its own) to stand for a busy
stack, where every write waits its turn at SQLite's one writer. "One after the other"
is the same code with the two calls made in turn. Per send: the wall time a sender
waits (p50, p95), this process's CPU and FerretDB's.

    .venv/bin/python -m bench.send_round_trips [--sends 200] [--rounds 3] [--writers 1 4]

JSON in var/bench/send_round_trips.json.
"""
from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")   # as runner.py

import eventlet  # noqa: E402

eventlet.monkey_patch()  # as services/common/runner.py: pymongo's sockets become green

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from unittest import mock  # noqa: E402

from bench.load.procstat import cpu_seconds  # noqa: E402
from bench.load.report import save_and_print  # noqa: E402
from bench.message_store import bench_database, ferretdb_pid, send  # noqa: E402
from services.common.config import get_config  # noqa: E402
from services.messaging import storage  # noqa: E402

WAYS = ("one after the other", "side by side")


def in_turn(*calls):
    return [call() for call in calls]


def run_way(db, way: str, writers: int, sends: int, tag: str, ferretdb: int) -> dict:
    waits: list[float] = []

    def writer(n: int) -> None:
        for i in range(sends):
            started = time.perf_counter()
            send(db, f"bench-{tag}-{n}-{i % 5}", f"{tag}-{n}-{i}")
            waits.append((time.perf_counter() - started) * 1000)

    ferretdb_cpu, cpu = cpu_seconds(ferretdb), time.process_time()
    with mock.patch.object(storage, "side_by_side", in_turn) if way == WAYS[0] \
            else mock.patch.object(storage, "side_by_side", storage.side_by_side):
        pool = eventlet.GreenPool(writers)
        for n in range(writers):
            pool.spawn(writer, n)
        pool.waitall()
    waits.sort()
    total = writers * sends
    return {"way": way, "writers": writers, "sends": total,
            "p50_ms": round(statistics.median(waits), 2),
            "p95_ms": round(waits[int(len(waits) * 0.95) - 1], 2),
            "cpu_ms_per_send": round((time.process_time() - cpu) / total * 1000, 2),
            "ferretdb_cpu_ms_per_send": round(
                (cpu_seconds(ferretdb) - ferretdb_cpu) / total * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=200, help="sends per writer, way and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    ferretdb = ferretdb_pid()
    rows = []
    with bench_database() as db:
        for round_number in range(1, args.rounds + 1):
            for writers in args.writers:
                for way in WAYS:
                    tag = f"{round_number}-{writers}-{WAYS.index(way)}"
                    rows.append({"round": round_number}
                                | run_way(db, way, writers, args.sends, tag, ferretdb))
    save_and_print("send_round_trips", {"rows": rows},
                   ["round", "writers", "way", "p50 ms", "p95 ms", "CPU ms per send",
                    "FerretDB CPU ms per send"],
                   [[row["round"], row["writers"], row["way"], row["p50_ms"], row["p95_ms"],
                     row["cpu_ms_per_send"], row["ferretdb_cpu_ms_per_send"]] for row in rows],
                   Path(get_config()["stack.var_dir"]) / "bench")


if __name__ == "__main__":
    main()
