"""Round trips that do not depend on each other, made side by side.

The Nameko services run on eventlet (runner.py patches sockets), so a worker that
needs several answers from stores can wait for all of them at once on green
threads: the time of the slowest instead of the sum."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def side_by_side(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls on green threads of their own and return their results in
    order. Every call is waited for before an error is raised (the first, in the
    calls' order), so none is left running behind the caller's back."""
    import eventlet   # here: the asyncio processes that import storage modules never load it
    threads = [eventlet.spawn(call) for call in calls]
    results, error = [], None
    for thread in threads:
        try:
            results.append(thread.wait())
        except Exception as exc:  # noqa: BLE001 - raised below, after the others finished
            error = error or exc
    if error is not None:
        raise error
    return results
