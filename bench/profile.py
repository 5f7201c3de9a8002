"""Where the stack's processes spend their time, with py-spy, while a load runs.

    .venv/bin/python -m bench.profile [--seconds 30] [--rate 40] [program ...]

Samples each named supervisord program (default: the gateways, the services' first
instances, the consumers and the outbox relay) with ``py-spy record`` for
``--seconds``, while it runs the steady load of bench/load (50 people, 10 channels,
``--rate`` messages/s, the full mix) unless ``--no-load`` (profile a load you run
yourself). The raw stacks go to var/bench/profiles/<time>/<program>.txt (py-spy's
collapsed format, for flame graph tools); for each program it prints the share of
samples under each of Parley's own functions (inclusive), the busiest first, and
the share spent waiting in the event loop. docs/performance.md says what they showed.
"""
from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import time
from pathlib import Path

from .load.procstat import REPO, supervisor_pid
from .load.report import stamp

DEFAULT_PROGRAMS = ["gateway-8101", "messaging-1", "channels-1", "users-1", "presence-1",
                    "notifications-1", "search-1", "channels-consumer", "users-consumer",
                    "notifications-consumer", "search-consumer", "outbox-relay"]
OWN = ("services/", "gateway_tornado/")           # Parley's own code in a frame
WAITING = ("do_poll", "_run_once", "select")      # the event loop with nothing to do
PY_SPY = REPO / ".venv" / "bin" / "py-spy"
SPY_GRACE = 30.0   # seconds a py-spy may take past its --duration to write its file


def shares(raw: Path) -> tuple[int, float, list[tuple[str, float]]]:
    """(samples, share waiting, [(own function, inclusive share)]) of a collapsed file."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = waiting = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        total += int(count)
        if frames[-1].startswith(WAITING):
            waiting += int(count)
        for frame in set(frames):
            if any(part in frame for part in OWN):
                inclusive[frame] += int(count)
    return total, waiting / total if total else 0.0, [
        (frame, count / total) for frame, count in inclusive.most_common()] if total else []


def record(programs: list[str], seconds: float, rate: int, out: Path,
           gil: bool = False) -> list[tuple[str, subprocess.Popen]]:
    out.mkdir(parents=True, exist_ok=True)
    spies = []
    for program in programs:
        pid = supervisor_pid(program)
        if pid is None:
            print(f"{program}: not running", file=sys.stderr)
            continue
        spies.append((program, subprocess.Popen(
            [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(int(seconds)),
             "--rate", str(rate), "--format", "raw", "--nonblocking", *(["--gil"] if gil else []),
             "--output", str(out / f"{program}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    return spies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("programs", nargs="*", default=DEFAULT_PROGRAMS)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=10.0, help="messages/s of the load")
    parser.add_argument("--samples", type=int, default=40, help="py-spy samples per second")
    parser.add_argument("--no-load", dest="load", action="store_false")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--gil", action="store_true",
                        help="sample only the thread holding the GIL (py-spy --gil): without "
                        "it, py-spy can spin past its duration on the eventlet services "
                        "(benfred/py-spy#609, #811); waiting is then not sampled")
    args = parser.parse_args(argv)
    out = REPO / "var" / "bench" / "profiles" / stamp()
    load = None
    if args.load:
        load = subprocess.Popen(
            [sys.executable, "-m", "bench.load", "steady", "--people", "50", "--channels", "10",
             "--rate", str(args.rate), "--seconds", str(args.seconds + 25), "--no-doc",
             "--no-floors"], cwd=REPO, stdout=subprocess.DEVNULL)
        time.sleep(20)   # people signed in, sockets open, the schedule under way
    spies = record(args.programs, args.seconds, args.samples, out, gil=args.gil)
    for program, spy in spies:
        try:
            spy.wait(timeout=args.seconds + SPY_GRACE)
        except subprocess.TimeoutExpired:   # py-spy can hang on a process, spinning a core
            spy.kill()
            print(f"{program}: py-spy still sampling {SPY_GRACE:.0f} s after its duration; "
                  "stopped, no profile", file=sys.stderr)
    if load is not None:
        load.wait()
    for program in args.programs:
        raw = out / f"{program}.txt"
        if not raw.exists():
            continue
        total, waiting, ranked = shares(raw)
        print(f"\n{program}: {total} samples, {waiting:.0%} waiting in the event loop")
        for frame, share in ranked[:args.top]:
            print(f"  {share:6.1%}  {frame}")
    print(f"\nraw stacks: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
