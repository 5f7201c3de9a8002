"""The load harness's smoke (issue 9: `make test` runs only this; the benchmarks and
`make chaos` run on demand): a small steady run through Traefik against the running
stack, driven through the harness's own API (bench/load/scenarios.py) the way
``python -m bench.load steady --no-doc`` drives it, its results written to a temporary
directory. Every planned message must be acknowledged and reach every other member
exactly once, and the JSON must hold what the benchmark reports are made of. Nothing is
appended to docs/performance.md."""
from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import pytest

from bench.load import runner, scenarios
from bench.load.model import ONLY_MESSAGES, build_workload
from bench.load.runner import LoadRun

pytestmark = pytest.mark.integration

ARGV = ["steady", "--people", "10", "--channels", "3", "--rate", "2", "--seconds", "10",
        "--warmup", "3", "--grace", "5", "--mix", "messages", "--no-floors", "--no-doc"]
FIELDS = {"label", "target", "rate", "seconds", "people", "rooms", "workload",
          "setup_seconds", "connections", "unconnected", "sent_messages", "acked_messages",
          "planned_messages", "messages_per_s", "deliveries_per_s", "ack", "delivery",
          "delivery_series", "counts", "errors", "error_rate", "send_error_rate",
          "schedule_lag", "verdict", "drain_seconds", "charts", "command", "started_at",
          "elapsed_s"}
PERCENTILES = {"count", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"}


async def test_a_small_steady_run_loses_nothing_and_reports_everything(stack, tmp_path):
    doc_before = scenarios.DOC.read_text()
    args = scenarios.parse_args(ARGV)
    args.out_dir = tmp_path     # the people's kept sessions stay in var/bench (a cache)
    started = time.time()

    result, body = await scenarios.steady(args)
    path = scenarios.finish(args, "smoke: " + " ".join(ARGV), result, body, started)

    saved = json.loads(path.read_text())
    assert path.parent == tmp_path and FIELDS <= saved.keys(), FIELDS - saved.keys()
    verdict = saved["verdict"]
    assert saved["connections"] == 10 and saved["unconnected"] == 0, saved["unconnected"]
    assert saved["planned_messages"] > 0
    assert saved["acked_messages"] == saved["planned_messages"] == verdict["acked"], (
        saved["errors"])
    assert verdict["failed"] == 0 and saved["errors"] == {}
    assert verdict["lost"] == 0, verdict["lost_examples"]
    assert verdict["duplicates"] == 0, verdict["duplicate_examples"]
    assert verdict["delivered"] == verdict["expected_deliveries"] > 0
    assert verdict["misdirected"] == 0
    assert PERCENTILES <= saved["ack"].keys() and PERCENTILES <= saved["delivery"].keys()
    assert saved["delivery"]["count"] == verdict["expected_deliveries"]
    assert saved["delivery_series"] and all(p["count"] for p in saved["delivery_series"])
    charts = [Path(chart) for chart in saved["charts"]]
    assert charts and all(c.parent == tmp_path and c.stat().st_size for c in charts)
    assert "| steady |" in body
    warmup = saved["warmup"]      # the same load before, reported apart, losing nothing too
    assert warmup["label"] == "warm-up" and "| warm-up |" in body
    assert warmup["acked_messages"] == warmup["verdict"]["acked"] > 0
    assert warmup["verdict"]["lost"] == warmup["verdict"]["duplicates"] == 0
    assert warmup["verdict"]["delivered"] == warmup["verdict"]["expected_deliveries"]
    assert {"settle", "settle_after_warmup"} <= saved["setup_seconds"].keys()
    assert scenarios.DOC.read_text() == doc_before


@contextlib.asynccontextmanager
async def small_run(label: str):
    """A two-second phase of 6 people in 2 rooms, with nothing lost: (run, result)."""
    args = scenarios.parse_args(["steady"])
    workload = build_workload(6, 2, seed=3, mix=ONLY_MESSAGES)
    run = LoadRun(scenarios.load_target("parley", args.state_dir), workload)
    try:
        await run.setup()
        result = await run.phase(2, 3, grace=5, label=label)
        assert result["verdict"]["acked"] > 0 and result["verdict"]["lost"] == 0
        yield run, result
    finally:
        await run.close()


async def test_what_a_socket_did_not_bring_is_late_if_readable_in_history_else_lost(stack):
    """After a phase, each delivery still missing is looked up in the room's history
    as the recipient, over HTTP: stored and readable is late, not lost."""
    async with small_run("history") as (run, _):
        (txn, recipient), _ = next(iter(run.ledger.delivered.items()))
        del run.ledger.delivered[(txn, recipient)]              # as if the socket missed it
        room = run.ledger.sent[txn].room
        run.ledger.sending("never-stored", room, run.ledger.sent[txn].sender,
                           frozenset({recipient}), time.monotonic())
        run.ledger.acked("never-stored", time.monotonic())     # as if acked, never stored
        await run._look_in_history()
        verdict = run.ledger.verdict()
        assert (verdict["late"], verdict["lost"]) == (1, 1)
        assert verdict["lost_examples"] == [("never-stored", recipient)]


async def test_a_history_that_cannot_be_read_is_tried_again_then_left_unverified_not_lost(
        stack, monkeypatch):
    """A target too busy to answer history reads after the grace (reads timing out)
    must not turn missing deliveries into losses: each read is tried again, and a
    room never read leaves its deliveries unverified."""
    monkeypatch.setattr(runner, "HISTORY_RETRY_SECONDS", 0.01)
    async with small_run("unreadable") as (run, result):
        (txn, recipient), _ = next(iter(run.ledger.delivered.items()))
        del run.ledger.delivered[(txn, recipient)]              # as if the socket missed it
        session, reads = run.sessions[recipient], []
        readable = session.readable

        async def busy_twice(room, newest):
            reads.append(room)
            if len(reads) <= 2:
                raise TimeoutError("the target is still busy")
            return await readable(room, newest)
        monkeypatch.setattr(session, "readable", busy_twice)
        await run._look_in_history()
        assert (len(reads), run.ledger.verdict()["late"]) == (3, 1)

        run.ledger.late.clear()

        async def never(room, newest):
            reads.append(room)
            raise TimeoutError("the target is still busy")
        monkeypatch.setattr(session, "readable", never)
        reads.clear()
        await run._look_in_history()
        verdict = run.ledger.verdict()
        assert len(reads) == runner.HISTORY_ATTEMPTS
        assert (verdict["late"], verdict["lost"], verdict["unverified"]) == (0, 0, 1)
        assert verdict["unverified_examples"] == [(txn, recipient)]
        assert runner.passes(result | {"verdict": verdict})   # a reason not to pass
