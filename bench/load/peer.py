"""Parley beside Matrix Synapse: the steady and capacity scenarios on both, in one run,
and the ratios issue 9 asks for.

    .venv/bin/python -m bench.load.peer [--people 1000 --channels 100 --rate 100 --seconds 60]
                                        [--capacity-people 200 --room-size 20
                                         --capacity-rate 1 --step 1.5 --phase-seconds 15
                                         --phase-messages 30 --synapse-capacity-rate R]

Synapse is installed, started and stopped by its target (bench/load/synapse_target.py,
bench/synapse/). Both sides get the same workload (same seed, people, rooms and
schedule) with messages only, because that is what both servers do alike; the delivery
counted is the same on both (each message on the socket or /sync of every other member
of its room, checked by marker). A steady run waits 30 s after its last send for the
deliveries still due (a server that falls behind is slow, not lossy, and is reported
so). Each of the four runs keeps its JSON and its table like ``python -m bench.load``;
this adds a table of the two side by side.
"""
from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import time

from .report import append_markdown, stamp, table, write_json
from .scenarios import DOC, REPO, capacity, finish, parse_args, steady

TARGETS = ("parley", "synapse")


def _run(scenario, argv: list[str], command: str) -> dict:
    args = parse_args(argv)
    started = time.time()
    result, body = asyncio.run(scenario(args))
    finish(args, command, result, body, started)
    return result


def _ratio(numerator, denominator) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


def _last_passing(result: dict) -> dict:
    passing = [phase for phase in result.get("phases", []) if phase.get("passed")]
    return passing[-1] if passing else {}


def compare(steadies: dict[str, dict], capacities: dict[str, dict]) -> tuple[dict, str]:
    parley, synapse = steadies["parley"], steadies["synapse"]
    steady_rows = [
        [name, steadies[name]["messages_per_s"], steadies[name]["deliveries_per_s"],
         steadies[name]["delivery"].get("p50_ms"), steadies[name]["delivery"].get("p99_ms"),
         steadies[name]["verdict"]["lost"], steadies[name]["verdict"].get("late"),
         steadies[name]["verdict"]["duplicates"],
         steadies[name]["cpu"].get("stack_ms_per_message")] for name in TARGETS]
    at_capacity = {name: _last_passing(capacities[name]) for name in TARGETS}
    capacity_rows = [
        [name, capacities[name]["capacity_messages_per_s"],
         capacities[name]["capacity_deliveries_per_s"],
         at_capacity[name].get("delivery", {}).get("p99_ms")] for name in TARGETS]
    ratios = {
        "steady_throughput": _ratio(parley["messages_per_s"], synapse["messages_per_s"]),
        "steady_p50_speedup": _ratio(synapse["delivery"].get("p50_ms"),
                                     parley["delivery"].get("p50_ms")),
        "steady_p99_speedup": _ratio(synapse["delivery"].get("p99_ms"),
                                     parley["delivery"].get("p99_ms")),
        "capacity": _ratio(capacities["parley"]["capacity_messages_per_s"],
                           capacities["synapse"]["capacity_messages_per_s"]),
        "capacity_p99_fraction": _ratio(at_capacity["parley"].get("delivery", {}).get("p99_ms"),
                                        at_capacity["synapse"].get("delivery", {}).get("p99_ms")),
    }
    first = {name: (capacities[name].get("phases") or [{}])[0] for name in TARGETS}
    ratios["first_step_p99_fraction"] = _ratio(first["parley"].get("delivery", {}).get("p99_ms"),
                                               first["synapse"].get("delivery", {}).get("p99_ms"))
    capacity_cell = ratios["capacity"]
    if capacity_cell is None and capacities["parley"]["capacity_messages_per_s"]:
        capacity_cell = "unbounded: Synapse passed no step"   # none at p99 ≤ 200 ms
    body = (
        "Steady (the same workload on both, messages only):\n\n"
        + table(["server", "msg/s", "deliveries/s", "delivery p50 ms", "p99 ms", "lost", "late",
                 "dup", "server CPU ms/msg"], steady_rows)
        + "\n\nCapacity into rooms (highest rate with p99 delivery ≤ 200 ms, no loss):\n\n"
        + table(["server", "msg/s", "deliveries/s", "p99 ms at that rate"], capacity_rows)
        + "\n\nRatios (Parley over Synapse):\n\n"
        + table(["measure", "ratio", "issue 9's target"], [
            ["steady throughput", ratios["steady_throughput"], "—"],
            ["steady p50 delivery, Synapse ÷ Parley", ratios["steady_p50_speedup"], "—"],
            ["steady p99 delivery, Synapse ÷ Parley", ratios["steady_p99_speedup"], "—"],
            ["capacity, Parley ÷ Synapse", capacity_cell, "≥ 50"],
            ["p99 at capacity, Parley ÷ Synapse", ratios["capacity_p99_fraction"], "≤ 0.1"],
            [f"p99 at the first step (Parley {first['parley'].get('rate', '–')} msg/s, "
             f"Synapse {first['synapse'].get('rate', '–')}), Parley ÷ Synapse",
             ratios["first_step_p99_fraction"], "—"]]))
    return {"ratios": ratios, "steady": steadies, "capacity": capacities}, body


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench.load.peer", description=__doc__)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--capacity-people", type=int, default=200)
    parser.add_argument("--room-size", type=int, default=20)
    parser.add_argument("--capacity-rate", type=float, default=1.0)
    parser.add_argument("--step", type=float, default=1.5)
    parser.add_argument("--phase-seconds", type=float, default=15.0)
    parser.add_argument("--phase-messages", type=int, default=30)
    parser.add_argument("--synapse-capacity-rate", type=float,
                        help="Synapse's first capacity step (default: --capacity-rate); "
                        "its p99 passed 200 ms at 1 msg/s already")
    parser.add_argument("--no-doc", dest="doc", action="store_false")
    opts = parser.parse_args(argv)
    command = ".venv/bin/python -m bench.load.peer " + shlex.join(argv)
    started = time.time()
    common = ["--mix", "messages"] + ([] if opts.doc else ["--no-doc"])
    steadies, capacities = {}, {}
    for name in TARGETS:
        steady_argv = ["steady", "--target", name, "--people", str(opts.people), "--channels",
                       str(opts.channels), "--rate", str(opts.rate), "--seconds",
                       str(opts.seconds), "--no-floors", "--grace", "30", *common]
        steadies[name] = _run(steady, steady_argv, command + f"  (part: {shlex.join(steady_argv)})")
    for name in TARGETS:
        capacity_argv = ["capacity", "--target", name, "--people", str(opts.capacity_people),
                         "--room-size", str(opts.room_size), "--rate",
                         str(opts.synapse_capacity_rate if name == "synapse"
                             and opts.synapse_capacity_rate else opts.capacity_rate),
                         "--step", str(opts.step), "--seconds", str(opts.phase_seconds),
                         "--phase-messages", str(opts.phase_messages), *common]
        capacities[name] = _run(capacity, capacity_argv,
                                command + f"  (part: {shlex.join(capacity_argv)})")
    result, body = compare(steadies, capacities)
    result |= {"command": command, "started_at": started,
               "elapsed_s": round(time.time() - started, 1)}
    path = write_json(result, REPO / "var" / "bench", f"load-peer-{stamp()}")
    if opts.doc:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started))
        append_markdown(DOC, f"Parley beside Synapse, {when}", command,
                        body + f"\n\nJSON: `{path.relative_to(REPO)}`.")
    print(body)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
