"""``python -m bench.chaos``: the steady load of bench/load with one fault per phase.

    .venv/bin/python -m bench.chaos [--people 60 --channels 12 --rate 5 --before 5 --after 25]
                                    [--faults gateway,messaging,rabbitmq] [--no-doc]

One set-up (people, rooms, every socket through Traefik), then for each fault: wait
until the stack is healthy and every socket is connected, then a phase of the load
(``--before`` seconds, the fault, ``--after`` seconds, then the grace period), judged
like every load phase (bench/load/stats.Ledger). Exit status 1 if anything
acknowledged was lost or duplicated, or if the stack is not healthy at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import shlex
import sys
import time
from collections import Counter

from bench.load.model import build_workload
from bench.load.procstat import REPO
from bench.load.report import progress, stamp, table, write_json
from bench.load.runner import LoadRun
from bench.load.scenarios import finish, make_target, mix_for, probe_for
from bench.load.stats import Ledger, percentile

from . import faults as chaos_faults
from .faults import Fault

SECTION = "## Chaos (issue 9)"
SECTION_INTRO = """
`make chaos` (`bench/chaos/`, its design in `bench/chaos/__init__.py`): the steady load
of `bench/load/` (people on WebSockets through Traefik, every acknowledged message
checked by id on every other member's socket) while one fault at a time hits the real
processes: SIGKILL of a gateway, of each service's instances, of each Kafka consumer
and of the outbox relay, and a restart of RabbitMQ, Kafka, FerretDB, Redis and
PostgreSQL. Each fault has its own phase: load before, the fault, load after, a grace
period. Columns: *back* is when supervisord had the program(s) running again and
healthy; *retried* the sends the client had to send again (same `client_msg_id`), with
how many resends and why; *failed* the sends never acknowledged; *recovery* the time
from the fault until every message sent was again acknowledged and delivered to every
recipient normally (within *normal*: 2× the p99 before the fault, at least 1 s, with
no resend); *via REST* the deliveries a client had first by fetching a gap in the seqs over REST
(as the web client does), and in brackets those whose live event never came at all;
*lost* and *dup* are per (message, recipient) after the grace period and must be 0;
*late* are those a recipient's socket had not brought by then but that the recipient
reads in the channel's history (so stored and readable, only not live in time).
"""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=60)
    parser.add_argument("--channels", type=int, default=12)
    parser.add_argument("--rate", type=float, default=5.0, help="messages/s, all along")
    parser.add_argument("--before", type=float, default=5.0, help="seconds of load before each fault")
    parser.add_argument("--after", type=float, default=25.0, help="seconds of load after it")
    parser.add_argument("--grace", type=float, default=10.0,
                        help="seconds after the last send before what is missing is lost")
    parser.add_argument("--faults", help="comma-separated, in order (default: all): "
                        + ",".join(f.name for f in chaos_faults.all_faults()))
    parser.add_argument("--mix", choices=["messages", "full"], default="messages")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--resend-for", type=float, default=90.0,
                        help="seconds a client keeps resending a send until it is acknowledged")
    parser.add_argument("--normal-ms", type=float, default=1000.0,
                        help="the least ack-and-delivery time that still counts as normal")
    parser.add_argument("--heal-timeout", type=float, default=240.0,
                        help="seconds to wait for a healthy stack before a fault and at the end")
    parser.add_argument("--no-doc", dest="doc", action="store_false",
                        help="do not append to docs/performance.md")
    args = parser.parse_args(argv)
    args.scenario, args.target = "chaos", "parley"
    args.faults = chaos_faults.pick(args.faults)
    args.out_dir = REPO / "var" / "bench"
    args.stem = f"chaos-parley-{stamp()}"
    return args


def recovery(ledger: Ledger, fault_at: float, normal_floor: float) -> dict:
    """When sends became normal again after the fault at ``fault_at`` (monotonic): a
    message is normal if it was acknowledged without a resend and every recipient had
    it within ``normal`` seconds of the send, ``normal`` being 2× the p99 of the
    messages done before the fault (at least ``normal_floor``). Recovery is the time
    from the fault to the send of the first message after which every message was
    normal (0: none was disturbed; None: still disturbed when the load ended)."""
    sent = sorted(ledger.sent.values(), key=lambda s: s.sent_at)
    calm = sorted(done - s.sent_at for s in sent
                  if (done := s.done_at()) is not None and done < fault_at)
    normal = max(normal_floor, 2 * percentile(calm, 99)) if calm else normal_floor

    def is_normal(s) -> bool:
        done = s.done_at()
        return done is not None and not s.resends and done - s.sent_at <= normal

    disturbed = [s for s in sent if s.sent_at >= fault_at - normal and not is_normal(s)]
    after = [s for s in sent if s.sent_at >= fault_at]
    last_bad = max((i for i, s in enumerate(after) if not is_normal(s)), default=None)
    if last_bad is None:
        seconds = 0.0
    elif last_bad + 1 < len(after):
        seconds = round(after[last_bad + 1].sent_at - fault_at, 2)
    else:
        seconds = None
    worst = max((((s.done_at() or math.inf) - s.sent_at) for s in disturbed), default=0.0)

    def ms(at: float | None, since: float) -> int | None:
        return None if at is None else round((at - since) * 1000)

    return {"recovery_s": seconds, "normal_ms": round(normal * 1000), "disturbed": len(disturbed),
            "worst_disturbed_ms": None if math.isinf(worst) else round(worst * 1000),
            "last_disturbed": [{"sent_s": round(s.sent_at - fault_at, 2),
                                "ack_ms": ms(s.acked_at, s.sent_at),
                                "done_ms": ms(s.done_at(), s.sent_at), "resends": s.resends,
                                "had_it": f"{s.delivered_to}/{len(s.recipients)}"}
                               for s in disturbed[-5:]]}


async def ready(run: LoadRun, timeout: float) -> dict:
    """Before a fault: the stack healthy and every socket connected (a socket the last
    fault closed may still be resuming)."""
    started = time.monotonic()
    waited, found = await chaos_faults.wait_healthy(timeout)
    away = [h for h, s in run.sessions.items() if not s.connected.is_set()]
    while away and time.monotonic() - started < timeout:
        await asyncio.sleep(0.5)
        away = [h for h, s in run.sessions.items() if not s.connected.is_set()]
    if away:
        found["sockets"] = f"{len(away)} not connected"
    return {"seconds": round(time.monotonic() - started, 2), "problems": found}


def side(fault: Fault, args) -> callable:
    """The fault, ``args.before`` seconds into the phase."""
    async def during(start: float) -> dict:
        await asyncio.sleep(args.before)
        at = time.monotonic()
        progress(f"{fault.name}: {fault.action} {' '.join(fault.programs)}")
        out = {"at_s": round(at - start, 2), "monotonic": at, "old_pids": {},
               "applied_s": None, "back_s": None}
        try:
            out["old_pids"] = await chaos_faults.apply(fault)
            out["applied_s"] = round(time.monotonic() - at, 2)
            out["back_s"] = await chaos_faults.wait_back(fault, out["old_pids"], at,
                                                         args.heal_timeout)
        except Exception as error:   # reported with the phase; the next fault still runs
            out["error"] = repr(error)
        progress(f"{fault.name}: back after {out['back_s']} s {out.get('error', '')}")
        return out
    return during


def summarise(fault: Fault, result: dict, ledger: Ledger, events: Counter,
              args) -> dict:
    during = result["during"]
    verdict = result["verdict"]
    row = {"fault": fault.name, "action": fault.action, "programs": list(fault.programs),
           "at_s": during["at_s"], "old_pids": during["old_pids"],
           "applied_s": during["applied_s"], "back_s": during["back_s"],
           "planned": result["planned_messages"], "acked": result["acked_messages"],
           "retried": verdict["resent"], "resends": verdict["resends"],
           "resent_why": {k[len("resent_after_"):]: n for k, n in events.items()
                          if k.startswith("resent_after_")},
           "failed": verdict["failed"], "errors": result["errors"],
           "fault_error": during.get("error"),
           **recovery(ledger, during["monotonic"], args.normal_ms / 1000),
           "lost": verdict["lost"], "late": verdict.get("late", 0),
           "duplicates": verdict["duplicates"],
           "lost_examples": verdict["lost_examples"],
           "duplicate_examples": verdict["duplicate_examples"],
           "via_rest": events.get("caught_up_rest", 0),
           "never_live": events.get("caught_up_rest", 0) - events.get("caught_up_then_live", 0),
           "client_events": dict(events),
           "delivery": result["delivery"], "ack": result["ack"]}
    return row


async def chaos(args) -> dict:
    workload = build_workload(args.people, args.channels, seed=args.seed, mix=mix_for(args))
    target = make_target(args.out_dir, resend_for=args.resend_for)
    run = LoadRun(target, workload, probe_for(target))
    rows, phases, readiness = [], [], []
    out = {"scenario": "chaos", "target": "parley", "people": args.people,
           "channels": args.channels, "rate": args.rate, "before_s": args.before,
           "after_s": args.after, "grace_s": args.grace, "resend_for_s": args.resend_for,
           "workload": workload.describe(), "setup_seconds": run.setup_seconds,
           "faults": rows, "readiness": readiness, "phases": phases}
    waited, found = await chaos_faults.wait_healthy(args.heal_timeout)
    if found:
        raise SystemExit(f"the stack is not healthy after {waited} s: {found}")
    try:
        await run.setup()
        await run.settle()
        for fault in args.faults:
            readiness.append(await ready(run, args.heal_timeout) | {"before": fault.name})
            if readiness[-1]["problems"]:
                progress(f"not healthy before {fault.name}: {readiness[-1]['problems']}")
            events_before = Counter(target.events)
            pids_before = await chaos_faults.pids()
            result = await run.phase(args.rate, args.before + args.after, grace=args.grace,
                                     label=fault.name, during=side(fault, args),
                                     drain=args.resend_for + 30)
            events = Counter(target.events)
            events.subtract(events_before)
            rows.append(summarise(fault, result, run.ledger, +events, args))
            rows[-1]["also_restarted"] = sorted(   # by someone else: the machine is shared
                name for name, pid in (await chaos_faults.pids()).items()
                if pid != pids_before.get(name) and name not in fault.programs)
            result["during"].pop("monotonic")
            phases.append(result)
            write_json(out | {"partial": True}, args.out_dir, args.stem)   # kept if cut short
            progress(f"{fault.name}: " + ", ".join(
                f"{k} {rows[-1][k]}" for k in ("back_s", "retried", "failed", "recovery_s",
                                                "acked", "lost", "late", "duplicates",
                                                "via_rest")))
    finally:
        await run.close()
    waited, found = await chaos_faults.wait_healthy(args.heal_timeout)
    progress(f"healthy again after {waited} s" if not found else f"NOT healthy: {found}")
    return out | {"lost": sum(r["lost"] for r in rows),
                  "duplicates": sum(r["duplicates"] for r in rows),
                  "healthy_at_end": {"waited_s": waited, "problems": found}}


def body(out: dict) -> str:
    rows = [[r["fault"], f"{r['action']} {', '.join(r['programs'])}", r["back_s"],
             r["retried"], r["resends"],
             ", ".join(f"{k} {n}" for k, n in sorted(r["resent_why"].items())) or "–",
             r["failed"], r["recovery_s"] if r["recovery_s"] is not None else "not in phase",
             r["normal_ms"], f"{r['acked']}/{r['planned']}",
             f"{r['via_rest']} ({r.get('never_live', '?')})", r["lost"], r.get("late"),
             r["duplicates"], r["delivery"].get("p99_ms"), r["delivery"].get("max_ms")]
            for r in out["faults"]]
    text = table(["fault", "what", "back (s)", "retried", "resends", "why", "failed",
                  "recovery (s)", "normal (ms)", "acked/planned", "via REST (never live)",
                  "lost", "late", "dup",
                  "delivery p99 ms", "max ms"], rows)
    others = [f"{r['fault']} ({', '.join(r['also_restarted'])})" for r in out["faults"]
              if r.get("also_restarted")]
    if others:
        text += ("\n\nAlso restarted during the phase, not by its fault (another user of "
                 "the stack, or a process that failed): " + "; ".join(others) + ".")
    end = out["healthy_at_end"]
    text += (f"\n\nLoad: {out['people']} people, {out['channels']} channels "
             f"({out['workload']['dms']} DMs, fan-out {out['workload']['expected_fanout']}), "
             f"{out['rate']:g} messages/s; each phase {out['before_s']:g} s before the "
             f"fault and {out['after_s']:g} s after, then {out['grace_s']:g} s of grace. "
             f"Total: **{out['lost']} lost, {out['duplicates']} duplicated**. The stack was "
             + ("healthy again" if not end["problems"] else f"NOT healthy ({end['problems']})")
             + f" {end['waited_s']:g} s after the last phase.")
    return text


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    command = shlex.join([".venv/bin/python", "-m", "bench.chaos", *argv])
    started = time.time()
    out = asyncio.run(chaos(args))
    text = body(out)
    path = finish(args, command, out, text, started, section=SECTION, intro=SECTION_INTRO)
    print(text)
    print(f"results: {path}")
    if out["lost"] or out["duplicates"] or out["healthy_at_end"]["problems"]:
        sys.exit(1)
