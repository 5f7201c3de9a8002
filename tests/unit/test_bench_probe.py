"""bench/load/scenarios.probe_for: whose CPU a load run charges to the server under test."""
from __future__ import annotations

import os
import subprocess
import sys

from bench.load.procstat import cpu_seconds
from bench.load.scenarios import probe_for
from bench.load.synapse_target import SynapseTarget


class Peer:
    """A peer whose server is this test's process (and so its children)."""

    def process_ids(self):
        return [os.getpid()]


def test_a_peer_is_charged_for_its_processes_and_their_children():
    """A peer's CPU is its own processes' and their children's (PostgreSQL's backends
    are the postmaster's children), not the Parley stack's beside it."""
    child = subprocess.Popen([sys.executable, "-c", "sum(range(3 * 10**7)); print('done')"
                              "; input()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline() == "done\n"
        probe = probe_for(Peer())
        used = probe.stack_cpu()
        assert cpu_seconds(child.pid) > 0.1
        assert used >= cpu_seconds(os.getpid()) + cpu_seconds(child.pid) - 0.05
        assert list(probe.cpu_by_process().values()) == [used] or \
            abs(list(probe.cpu_by_process().values())[0] - used) < 0.05
        assert list(probe.gateway_rss().values())[0] > 0
    finally:
        child.kill()
        child.wait()


def test_synapse_names_its_processes_the_way_the_probe_asks():
    """Synapse is measured on its own processes (none until it has started)."""
    assert SynapseTarget().process_ids() == []
