"""What finding a send's slot costs on FerretDB: the channel's head hint read on every
send, or the last seq the process stored in the channel (services/messaging/storage.py,
``next_free``).

A send reserves its id, queues its event, finds the first free slot and stores the
message there. Finding the slot read the channel's head hint (``channel_heads``) and
then the slots past it; now a writer starts from the last seq it stored in the channel
itself, read together with the slots past it, and falls back to the hint only when
that slot is not taken. This runs messaging's store path (bench/message_store.py's
``send``) on the stack's real FerretDB, in a database of its own (dropped afterwards),
both ways in turn: "the hint every send" forgets what the process stored before each
send. Per send: the wall time, this process's CPU and FerretDB's CPU.

    .venv/bin/python -m bench.next_slot [--sends 300] [--rounds 3]

JSON in var/bench/next_slot.json.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.load.procstat import cpu_seconds
from bench.load.report import save_and_print
from bench.message_store import bench_database, ferretdb_pid, send
from services.common.config import get_config
from services.messaging import storage

CHANNELS = 10
WAYS = ("the hint every send", "the last seq stored")


def sends(db, way: str, count: int, tag: str, ferretdb: int) -> dict:
    channels = [f"bench-{n}" for n in range(CHANNELS)]
    ferretdb_cpu, cpu, wall = cpu_seconds(ferretdb), time.process_time(), time.perf_counter()
    for i in range(count):
        if way == WAYS[0]:
            storage._stored.clear()
        send(db, channels[i % CHANNELS], f"{tag}-{i}")
    return {"way": way, "sends": count,
            "ms_per_send": round((time.perf_counter() - wall) / count * 1000, 2),
            "cpu_ms_per_send": round((time.process_time() - cpu) / count * 1000, 2),
            "ferretdb_cpu_ms_per_send": round(
                (cpu_seconds(ferretdb) - ferretdb_cpu) / count * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=300, help="sends per way and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ferretdb = ferretdb_pid()
    rows = []
    with bench_database() as db:
        for round_number in range(args.rounds):
            for way in WAYS:
                rows.append({"round": round_number + 1}
                            | sends(db, way, args.sends, f"{round_number}-{way}", ferretdb))
    save_and_print("next_slot", {"rows": rows},
                   ["round", "way", "ms per send", "CPU ms per send", "FerretDB CPU ms per send"],
                   [[row["round"], row["way"], row["ms_per_send"], row["cpu_ms_per_send"],
                     row["ferretdb_cpu_ms_per_send"]] for row in rows],
                   Path(get_config()["stack.var_dir"]) / "bench")

if __name__ == "__main__":
    main()
