"""bench/load/report.py: how a store micro-benchmark leaves its result."""
from __future__ import annotations

import json

from bench.load.report import save_and_print


def test_a_micro_benchmark_writes_its_stamped_json_and_prints_its_table(tmp_path, capsys):
    path = save_and_print("example", {"rows": [{"size": 5, "ms": 1.25}]}, ["size", "ms"],
                          [[5, 1.25]], tmp_path / "bench")
    assert path == tmp_path / "bench" / "example.json"
    saved = json.loads(path.read_text())
    assert saved["rows"] == [{"size": 5, "ms": 1.25}] and saved["at"].endswith("+00:00")
    assert capsys.readouterr().out.splitlines() == [
        "| size | ms |", "|---|---:|", "| 5 | 1.25 |", f"JSON: {path}"]
