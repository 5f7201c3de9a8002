"""On the running stack, every thread of the deferred programs (ops/stack/programs.py
``DEFERRED``) runs at ``stack.deferred_nice`` and the send path at 0: what the
scheduler is told, read back from /proc."""
from __future__ import annotations

from pathlib import Path

from ops.stack import supervisor


def thread_nice_values(pid: int) -> set[int]:
    """The nice value of each of the process's threads (field 19 of its stat)."""
    values = set()
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        fields = stat.read_text().rsplit(")", 1)[1].split()
        values.add(int(fields[16]))   # fields after the name start at field 3
    return values


def test_deferred_work_runs_below_the_send_path(stack):
    level = int(stack["stack.deferred_nice"])
    running = {name: info["pid"] for name, info in supervisor.states().items() if info["pid"]}
    for name in ("kafka", "outbox-relay", "users-1", "notifications-2", "search-1",
                 "users-consumer", "channels-consumer"):
        assert thread_nice_values(running[name]) == {level}, name
    for name in ("gateway-8101", "gateway-8102", "messaging-1", "messaging-2", "ferretdb",
                 "channels-1", "presence-2", "traefik"):
        assert thread_nice_values(running[name]) == {0}, name
