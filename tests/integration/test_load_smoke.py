"""The load harness's smoke (issue 9: `make test` runs only this; the benchmarks and
`make chaos` run on demand): a small steady run through Traefik against the running
stack, driven through the harness's own API (bench/load/scenarios.py) the way
``python -m bench.load steady --no-doc`` drives it, its results written to a temporary
directory. Every planned message must be acknowledged and reach every other member
exactly once, and the JSON must hold what the benchmark reports are made of. Nothing is
appended to docs/performance.md."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bench.load import scenarios

pytestmark = pytest.mark.integration

ARGV = ["steady", "--people", "10", "--channels", "3", "--rate", "2", "--seconds", "10",
        "--grace", "5", "--mix", "messages", "--no-floors", "--no-doc"]
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
    assert scenarios.DOC.read_text() == doc_before
