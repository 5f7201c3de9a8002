"""Running an asyncio process until SIGINT or SIGTERM asks it to stop."""
from __future__ import annotations

import asyncio
import signal
from typing import Awaitable, Callable


def run_until_signalled(run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Call ``run(stop)`` in a new event loop; ``stop`` is set by SIGINT/SIGTERM."""

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(stop)

    asyncio.run(_main())
