"""bench/load/peer.py: how a run on Parley and one on Synapse are set side by side,
and the ratios issue 9 asks for."""
from __future__ import annotations

from bench.load.peer import compare


def steady(msgs, p50, p99, lost=0):
    return {"messages_per_s": msgs, "deliveries_per_s": msgs * 6,
            "delivery": {"p50_ms": p50, "p99_ms": p99},
            "verdict": {"lost": lost, "duplicates": 0}, "cpu": {"stack_ms_per_message": 9.0}}


def capacity(rates_and_p99s, failing_p99):
    phases = [{"passed": True, "delivery": {"p99_ms": p99}, "messages_per_s": rate, "rate": rate}
              for rate, p99 in rates_and_p99s]
    phases.append({"passed": False, "delivery": {"p99_ms": failing_p99}, "rate": 999})
    best = rates_and_p99s[-1][0] if rates_and_p99s else 0
    return {"phases": phases, "capacity_messages_per_s": best,
            "capacity_deliveries_per_s": best * 19}


def test_the_ratios_are_parley_over_synapse_and_speedups_synapse_over_parley():
    result, body = compare({"parley": steady(100, 20, 80), "synapse": steady(4, 400, 2000)},
                           {"parley": capacity([(100, 50), (150, 90)], 900),
                            "synapse": capacity([(2, 150), (3, 180)], 5000)})
    assert result["ratios"] == {"steady_throughput": 25.0, "steady_p50_speedup": 20.0,
                                "steady_p99_speedup": 25.0, "capacity": 50.0,
                                "capacity_p99_fraction": 0.5, "first_step_p99_fraction": 0.33}
    assert "| capacity, Parley ÷ Synapse | 50.0 | ≥ 50 |" in body


def test_a_side_with_no_passing_phase_has_no_capacity_ratio():
    result, _ = compare({"parley": steady(5, 900, 3000), "synapse": steady(3, 500, 900)},
                        {"parley": capacity([], 900), "synapse": capacity([(2, 150)], 5000)})
    assert result["ratios"]["capacity"] is None
    assert result["ratios"]["capacity_p99_fraction"] is None


def test_when_only_synapse_passes_no_step_the_capacity_ratio_is_unbounded():
    """Synapse's p99 over 200 ms at its lowest rate: no capacity, so no finite ratio;
    the p99s of each side's first (lowest) step are still compared."""
    result, body = compare({"parley": steady(20, 150, 600), "synapse": steady(20, 16000, 25000)},
                           {"parley": capacity([(1, 40), (1.5, 90)], 300),
                            "synapse": capacity([], 500)})
    assert result["ratios"]["capacity"] is None
    assert "| capacity, Parley ÷ Synapse | unbounded: Synapse passed no step | ≥ 50 |" in body
    assert result["ratios"]["first_step_p99_fraction"] == 0.08
    assert "p99 at the first step (Parley 1 msg/s, Synapse 999)" in body
