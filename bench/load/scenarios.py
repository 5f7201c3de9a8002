"""The scenarios of issue 9 and the command line that runs them.

    .venv/bin/python -m bench.load steady    [--people 1000 --channels 100 --rate 100 --seconds 60 --warmup 30]
    .venv/bin/python -m bench.load capacity  [--people 1000 --rate 50 --seconds 15]  (20-member rooms)
    .venv/bin/python -m bench.load idle      [--sockets 10000]        (one gateway, straight to its port)
    .venv/bin/python -m bench.load reconnect [--people 1000 --drop 1000]
    .venv/bin/python -m bench.load floors

Every run writes var/bench/load-<scenario>-<target>-<time>.json (and .png for the
load phases) and appends its table to docs/performance.md (``--no-doc``: not).
``--target synapse`` loads bench/load/synapse_target.py, which provides
``make_target(state_dir) -> Target`` like ``make_target`` below, and may provide
``process_ids() -> list[int]`` (its server's processes) for the CPU figures.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import shlex
import sys
import time
from pathlib import Path

from services.common.config import get_config

from .floors import measure_floors
from .model import ONLY_MESSAGES, Mix, build_workload
from .parley_target import ParleyTarget
from .procstat import REPO, StackProbe, open_files_limit, raise_own_open_files
from .report import (PHASE_HEADERS, append_markdown, draw_latency_chart, phase_row, stamp,
                     table, write_json)
from .runner import LoadRun, passes
from .report import progress
from .target import Target

GATEWAYS = [f"gateway-{port}" for port in get_config()["gateway.instances"]]
DOC = REPO / "docs" / "performance.md"
WARMUP_SCHEDULE = 1_000   # a schedule of its own, not the measured phase's (seed 1)
# what a steady run keeps of its warm-up phase: enough to see that it lost nothing too
WARMUP_FIELDS = ("label", "rate", "seconds", "sent_messages", "acked_messages",
                 "messages_per_s", "deliveries_per_s", "ack", "delivery", "errors",
                 "error_rate", "verdict", "cpu")


def base_url() -> str:
    cfg = get_config()
    return f"http://{cfg['stack.host']}:{cfg['traefik.port']}"


def make_target(state_dir: Path, ws_url: str | None = None,
                people_prefix: str = "bench-load", resend_for: float = 0.0) -> ParleyTarget:
    return ParleyTarget(base_url(), get_config()["amqp.uri"], state_dir, ws_url=ws_url,
                        people_prefix=people_prefix, resend_for=resend_for)


def load_target(name: str, state_dir: Path) -> Target:
    if name == "parley":
        return make_target(state_dir)
    return importlib.import_module(f"bench.load.{name}_target").make_target(state_dir)


def probe_for(target: Target) -> StackProbe:
    """Parley: everything under supervisord and its gateways. A target with
    ``process_ids()`` (a peer the bench starts) is measured on those processes."""
    if hasattr(target, "process_ids"):
        return StackProbe([], roots=target.process_ids)
    return StackProbe(GATEWAYS)


def mix_for(args) -> Mix:
    if args.mix == "messages" or (args.mix == "auto" and args.target != "parley"):
        return ONLY_MESSAGES
    return Mix()


# -- scenarios (each returns the result dict and the markdown body) --------------------------
async def steady(args) -> tuple[dict, str]:
    workload = build_workload(args.people, args.channels, seed=args.seed, mix=mix_for(args))
    target = load_target(args.target, args.state_dir)
    run = LoadRun(target, workload, probe_for(target))
    try:
        await run.setup()
        await run.settle()
        warmup = None
        if args.warmup > 0:
            warmup = await run.phase(args.rate, args.warmup, grace=args.grace, label="warm-up",
                                     schedule_seed=WARMUP_SCHEDULE)
            await run.settle(key="settle_after_warmup")
        # the measured phase sends the same actions with or without a warm-up before it
        result = await run.phase(args.rate, args.seconds, grace=args.grace, label="steady",
                                 schedule_seed=1)
    finally:
        await run.close()
    result["charts"] = [str(_chart(args, result, "steady"))]
    rows = [phase_row(result)]
    if warmup is not None:
        result["warmup"] = {k: warmup[k] for k in WARMUP_FIELDS if k in warmup}
        rows.insert(0, phase_row(warmup))
    body = table(PHASE_HEADERS, rows)
    if args.floors:
        floors = await measure_floors(get_config()["amqp.uri"], get_config()["mongo.uri"])
        result["floors"] = floors
        body += "\n\n" + _floors_table(floors, result["delivery"].get("p50_ms"))
    return result, body + "\n\n" + _reading(result) + _warmup_reading(result)


async def capacity(args) -> tuple[dict, str]:
    """Ramp ×``args.step`` per phase from ``args.rate`` until a phase fails
    runner.passes (p99 delivery > 200 ms, errors > 0.1 %, a loss, or the rate not
    sustained); the highest passing phase is the capacity. A phase lasts
    ``args.seconds``, or longer at a low rate, until ``args.phase_messages`` are due:
    its p99 is then over hundreds of deliveries, not the worst of a handful (a server
    that fails at the first step is ramped from a lower one)."""
    rooms = max(1, args.people // args.room_size)
    workload = build_workload(args.people, rooms, seed=args.seed, room_size=args.room_size,
                              mix=mix_for(args))
    target = load_target(args.target, args.state_dir)
    run = LoadRun(target, workload, probe_for(target))
    phases, best, rate = [], None, args.rate
    try:
        await run.setup()
        await run.settle()
        while rate <= args.max_rate:
            seconds = max(args.seconds, args.phase_messages / rate)
            result = await run.phase(rate, seconds, grace=args.grace, label=f"{rate:g}/s")
            result["fail_reasons"] = passes(result, p99_ms=args.p99_ms)
            result["passed"] = not result["fail_reasons"]
            phases.append(result)
            print(json.dumps({k: result[k] for k in ("label", "messages_per_s", "fail_reasons")}
                             | {"p99_ms": result["delivery"].get("p99_ms")}), flush=True)
            if not result["passed"]:
                break
            best = result
            rate = round(rate * args.step, 1)
    finally:
        await run.close()
    out = {"scenario": "capacity", "room_size": args.room_size, "phases": phases,
           "capacity_messages_per_s": best["messages_per_s"] if best else 0,
           "capacity_deliveries_per_s": best["deliveries_per_s"] if best else 0}
    if phases:
        out["charts"] = [str(_chart(args, phases[-1], "capacity-last"))]
    body = table(PHASE_HEADERS + ["verdict"], [phase_row(p) + ["; ".join(p["fail_reasons"])
                                                              or "pass"] for p in phases])
    body += (f"\n\nHighest sustained rate: **{out['capacity_messages_per_s']:g} messages/s** "
             f"({out['capacity_deliveries_per_s']:g} deliveries/s) into "
             f"{args.room_size}-member rooms; a phase passes with p99 delivery ≤ "
             f"{args.p99_ms:g} ms, errors ≤ 0.1 %, no loss, ≥ 95 % of the planned messages "
             f"acknowledged and the generator within 100 ms of its schedule (p99).")
    return out, body


async def idle(args) -> tuple[dict, str]:
    """``args.sockets`` idle WebSockets straight to one gateway's port (not through
    Traefik, so all land on it); memory per connection from its RSS."""
    own_limit = raise_own_open_files()
    gateway = args.gateway or GATEWAYS[0]
    port = gateway.split("-")[1]
    target = make_target(args.state_dir, ws_url=f"ws://{get_config()['stack.host']}:{port}/ws",
                         people_prefix="bench-idle")
    probe = StackProbe([gateway])
    gateway_limit = open_files_limit(probe.gateways[gateway]) if probe.gateways[gateway] else None
    notes = []
    if own_limit < args.sockets + 100:
        notes.append(f"this process may open only {own_limit} files: fewer sockets will open")
    if gateway_limit and 0 < gateway_limit[0] < args.sockets + 200:
        notes.append(f"{gateway}'s open-files limit is {gateway_limit[0]}: too low for "
                     f"{args.sockets} sockets (raise minfds/ulimit in its supervisor config)")
    await target.start()
    sessions, failures = [], 0
    try:
        handles = await target.create_people(args.people)
        gc.collect()
        await asyncio.sleep(2)
        before = probe.gateway_rss()[gateway]
        started = time.monotonic()
        gate = asyncio.Semaphore(100)

        async def one(i: int) -> None:
            nonlocal failures
            async with gate:
                try:
                    sessions.append(await target.connect(handles[i % len(handles)],
                                                         lambda *_: None))
                except Exception:   # counted: the limit is what this scenario looks for
                    failures += 1
                if (len(sessions) + failures) % 500 == 0:
                    progress(f"{len(sessions)} sockets open, {failures} failed, "
                             f"{time.monotonic() - started:.0f} s, gateway RSS "
                             f"{probe.gateway_rss()[gateway] / 2**20:.0f} MiB")

        await asyncio.gather(*(one(i) for i in range(args.sockets)))
        opened_in = time.monotonic() - started
        await asyncio.sleep(args.hold)
        after = probe.gateway_rss()[gateway]
        still_open = sum(1 for s in sessions if s.connected.is_set())
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        await target.stop()
    per_socket = (after - before) / max(1, len(sessions))
    out = {"scenario": "idle", "gateway": gateway, "sockets_asked": args.sockets,
           "opened": len(sessions), "failed": failures, "still_open": still_open,
           "open_seconds": round(opened_in, 2), "hold_seconds": args.hold,
           "rss_before": before, "rss_after": after,
           "bytes_per_socket": round(per_socket), "client_open_files_limit": own_limit,
           "gateway_open_files_limit": gateway_limit, "people": args.people, "notes": notes,
           "target_frames": dict(target.frames), "target_events": dict(target.events)}
    body = table(["gateway", "sockets", "failed", "open after hold", "RSS before MiB",
                  "RSS after MiB", "KiB per socket", "gateway files limit"],
                 [[gateway, len(sessions), failures, still_open, round(before / 2**20, 1),
                   round(after / 2**20, 1), round(per_socket / 1024, 1),
                   gateway_limit[0] if gateway_limit else None]])
    return out, body + "".join(f"\n\nNote: {n}." for n in notes)


async def reconnect(args) -> tuple[dict, str]:
    """Steady traffic; after a third of it, ``args.drop`` sockets are cut at once (no
    close frame) and reconnect at once with resume; time until every one has its
    ``resumed``, and the loss check over the whole phase."""
    workload = build_workload(args.people, args.channels, seed=args.seed, mix=mix_for(args))
    target = load_target(args.target, args.state_dir)
    run = LoadRun(target, workload, probe_for(target))

    async def storm(start: float) -> dict:
        await asyncio.sleep(args.seconds / 3)
        victims = [run.sessions[h] for h in run.handles[:args.drop] if h in run.sessions]
        cut = time.monotonic()
        for session in victims:
            session.drop()
        outcomes = await asyncio.gather(*(s.reconnect() for s in victims),
                                        return_exceptions=True)
        failed = [repr(o) for o in outcomes if isinstance(o, Exception)]
        return {"dropped": len(victims), "at_s": round(cut - start, 2),
                "all_resumed_s": round(time.monotonic() - cut, 2),
                "failed": len(failed), "failures": failed[:5]}

    try:
        await run.setup()
        await run.settle()
        result = await run.phase(args.rate, args.seconds, grace=args.grace, label="storm",
                                 during=storm)
    finally:
        await run.close()
    result["charts"] = [str(_chart(args, result, "reconnect"))]
    during = result["during"]
    body = table(["sockets dropped", "at (s)", "all resumed after (s)", "reconnects failed",
                  "acked", "lost", "late", "dup", "delivery p99 ms"],
                 [[during["dropped"], during["at_s"], during["all_resumed_s"], during["failed"],
                   result["verdict"]["acked"], result["verdict"]["lost"],
                   result["verdict"].get("late"),
                   result["verdict"]["duplicates"], result["delivery"].get("p99_ms")]])
    return result, body + "\n\n" + table(PHASE_HEADERS, [phase_row(result)])


async def floors(args) -> tuple[dict, str]:
    measured = await measure_floors(get_config()["amqp.uri"], get_config()["mongo.uri"],
                                    count=args.count)
    steady_p50 = _latest_steady_p50(args.out_dir)
    return {"scenario": "floors", "floors": measured, "parley_steady_p50_ms": steady_p50
            }, _floors_table(measured, steady_p50)


SCENARIOS = {"steady": steady, "capacity": capacity, "idle": idle, "reconnect": reconnect,
             "floors": floors}
DEFAULTS = {  # people, channels, rate, seconds
    "steady": (1000, 100, 100.0, 60.0), "capacity": (1000, 0, 50.0, 15.0),
    "idle": (100, 0, 0.0, 0.0), "reconnect": (1000, 100, 20.0, 30.0),
    "floors": (0, 0, 0.0, 0.0)}


# -- helpers ---------------------------------------------------------------------------
def _chart(args, result: dict, name: str) -> Path:
    path = args.out_dir / f"{args.stem}-{name}.png"
    return draw_latency_chart(result["delivery_series"], path,
                              f"{result['target']} {name}: delivery latency per second "
                              f"({result['people']} people, {result['rate']:g} msg/s)")


def _floors_table(floors: dict, parley_p50: float | None) -> str:
    rows = [[name, f["p50_ms"], f["p95_ms"], f["p99_ms"]]
            for name, f in floors.items() if isinstance(f, dict)]
    text = table(["floor", "p50 ms", "p95 ms", "p99 ms"], rows)
    text += f"\n\nSum of the floors' p50: {floors['sum_p50_ms']:g} ms."
    if parley_p50 and floors["sum_p50_ms"]:
        text += (f" Parley's p50 delivery ({parley_p50:g} ms) is "
                 f"**{parley_p50 / floors['sum_p50_ms']:.1f}×** that sum (target: ≤ 3×).")
    return text


def _reading(result: dict) -> str:
    """The rest of a phase in a few lines: each action kind, the workload, setup,
    the generator's own lag and CPU, errors, and the gateways' memory."""
    counts = result["counts"]
    kinds = set(result["actions"]) | {k[:-len("_failed")] for k in counts
                                      if k.endswith("_failed")}
    rows = [[kind, result["actions"].get(kind, {}).get("count", 0),
             counts.get(f"{kind}_failed", 0), result["actions"].get(kind, {}).get("p50_ms"),
             result["actions"].get(kind, {}).get("p99_ms")] for kind in sorted(kinds)]
    text = table(["action", "done", "failed", "p50 ms (to ack)", "p99 ms"], rows)
    cpu, rss = result.get("cpu", {}), result.get("gateway_rss_bytes", {})
    lag = result["schedule_lag"]
    lines = [f"Workload: {json.dumps(result['workload'])}.",
             f"Setup seconds: {json.dumps(result['setup_seconds'])}; connections "
             f"{result['connections']} ({result['unconnected']} failed).",
             f"Generator behind its schedule: p50 {lag.get('p50_ms')} ms, p99 "
             f"{lag.get('p99_ms')} ms. Errors: {json.dumps(result['errors'])}. Verdict: "
             f"{result['verdict']['acked']} acknowledged, {result['verdict']['lost']} lost, "
             f"{result['verdict'].get('late', 0)} late (in history, not on the socket), "
             f"{result['verdict'].get('unverified', 0)} unverified (history unreadable), "
             f"{result['verdict']['duplicates']} duplicated."]
    if cpu:
        lines.append(f"CPU: the stack used {cpu['stack_seconds']} s and the generator "
                     f"{cpu['generator_seconds']} s in {cpu['window_seconds']} s; gateway "
                     f"RSS before/after (MiB): "
                     + ", ".join(f"{k} {rss['before'].get(k, 0) / 2**20:.0f}/"
                                 f"{rss['after'].get(k, 0) / 2**20:.0f}"
                                 for k in rss.get("before", {})) + ".")
    busiest = list(cpu.get("ms_per_message_by_process", {}).items())[:12]
    if busiest:
        lines.append("CPU ms per message by process (the busiest): "
                     + ", ".join(f"{name} {ms}" for name, ms in busiest) + ".")
    return text + "\n\n" + "\n".join(lines)


def _warmup_reading(result: dict) -> str:
    """The warm-up's own verdict: what it sent must arrive too."""
    if "warmup" not in result:
        return ""
    warmup = result["warmup"]
    verdict = warmup["verdict"]
    return (f"\nWarm-up ({warmup['seconds']:g} s at the same rate, before the measured "
            f"phase): {verdict['acked']} acknowledged, {verdict['lost']} lost, "
            f"{verdict.get('late', 0)} late, {verdict['duplicates']} duplicated; errors: "
            f"{json.dumps(warmup['errors'])}.")


def _latest_steady_p50(out_dir: Path) -> float | None:
    for path in sorted(out_dir.glob("load-steady-parley-*.json"), reverse=True):
        try:
            return json.loads(path.read_text())["delivery"]["p50_ms"]
        except (OSError, ValueError, KeyError):
            continue
    return None


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load",
                                     description="Parley's load generator (issue 9)")
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--target", default="parley")
    parser.add_argument("--people", type=int)
    parser.add_argument("--channels", type=int)
    parser.add_argument("--rate", type=float, help="messages/s (capacity: the first step)")
    parser.add_argument("--seconds", type=float, help="length of the phase (capacity: each step)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--grace", type=float, default=10.0,
                        help="seconds after the last send before what is missing is lost")
    parser.add_argument("--mix", choices=["auto", "full", "messages"], default="auto",
                        help="auto: the full mix on Parley, messages only on other targets")
    parser.add_argument("--room-size", type=int, default=20, help="capacity: members per room")
    parser.add_argument("--step", type=float, default=1.5, help="capacity: rate factor per step")
    parser.add_argument("--max-rate", type=float, default=5000.0)
    parser.add_argument("--phase-messages", type=int, default=30,
                        help="capacity: a step lasts at least until this many are sent")
    parser.add_argument("--p99-ms", type=float, default=200.0)
    parser.add_argument("--sockets", type=int, default=10000, help="idle: sockets to open")
    parser.add_argument("--hold", type=float, default=15.0, help="idle: seconds held open")
    parser.add_argument("--gateway", help="idle: the supervisor program (gateway-8102); "
                        "pick one whose memory no earlier run has inflated")
    parser.add_argument("--drop", type=int, default=1000, help="reconnect: sockets to cut")
    parser.add_argument("--count", type=int, default=500, help="floors: calls each")
    parser.add_argument("--warmup", type=float, default=0.0,
                        help="steady: seconds of the same load before the measured phase, "
                        "reported in its own row (every instance has met the rooms, as in "
                        "a workspace that has been running)")
    parser.add_argument("--no-floors", dest="floors", action="store_false",
                        help="steady: skip the floors after the load")
    parser.add_argument("--no-doc", dest="doc", action="store_false",
                        help="do not append to docs/performance.md")
    args = parser.parse_args(argv)
    people, channels, rate, seconds = DEFAULTS[args.scenario]
    args.people = args.people or people
    args.channels = args.channels or channels
    args.rate = args.rate or rate
    args.seconds = args.seconds or seconds
    args.out_dir = REPO / "var" / "bench"
    args.state_dir = args.out_dir
    args.stem = f"load-{args.scenario}-{args.target}-{stamp()}"
    return args


def finish(args, command: str, result: dict, body: str, started: float,
           **section) -> Path:
    """Keep a scenario's result: the JSON under ``args.out_dir`` (with the command and
    when it ran) and, unless ``--no-doc``, its table in docs/performance.md (in the
    load section, or in ``section=``/``intro=``'s: see report.append_markdown)."""
    result |= {"command": command, "started_at": started, "elapsed_s": round(time.time() - started, 1)}
    path = write_json(result, args.out_dir, args.stem)
    if args.doc:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started))
        append_markdown(DOC, f"{args.scenario} on {args.target}, {when}", command,
                        body + f"\n\nJSON: `{path.relative_to(REPO)}`.", **section)
    return path


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    command = ".venv/bin/python -m bench.load " + shlex.join(argv)
    started = time.time()
    result, body = asyncio.run(SCENARIOS[args.scenario](args))
    path = finish(args, command, result, body, started)
    summary = {k: result[k] for k in ("messages_per_s", "deliveries_per_s", "ack", "delivery",
                                      "verdict", "errors", "during", "cpu",
                                      "capacity_messages_per_s", "bytes_per_socket", "opened",
                                      "failed", "floors") if k in result}
    print(json.dumps(summary, indent=1, default=str))
    print(f"results: {path}")
