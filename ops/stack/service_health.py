"""`make status`'s second part: each service's ``health`` RPC, asked over
RabbitMQ as a caller would. A running process (the first part) is not yet a
service that answers: this shows which instance took the call and how fast, or
why nobody did. All services are asked at once, each call cut after ``TIMEOUT``."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from services.common.catalog import SERVICES
from services.common.config import get_config
from services.common.rpc_client import AsyncRpcClient

TIMEOUT = 3.0


@dataclass
class Answer:
    service: str
    pid: int | None = None        # of the instance that answered
    ms: float | None = None
    problem: str | None = None    # None: it answered


async def _ask(rpc: AsyncRpcClient, service: str) -> Answer:
    started = time.perf_counter()
    try:
        reply = await rpc.call(service, "health", _timeout=TIMEOUT)
    except Exception as exc:  # the reason is the answer
        return Answer(service, problem=f"health RPC: {getattr(exc, 'code', type(exc).__name__)}"
                                       f" ({str(exc)[:80]})")
    return Answer(service, pid=reply.get("pid"), ms=(time.perf_counter() - started) * 1000)


async def _ask_all() -> list[Answer]:
    rpc = AsyncRpcClient(get_config()["amqp.uri"], timeout=TIMEOUT, name="status")
    try:
        await asyncio.wait_for(rpc.connect(), TIMEOUT)
    except Exception as exc:
        return [Answer(service, problem=f"RabbitMQ: {type(exc).__name__}") for service in SERVICES]
    try:
        return list(await asyncio.gather(*(_ask(rpc, service) for service in SERVICES)))
    finally:
        await rpc.close()


def answers() -> list[Answer]:
    return asyncio.run(_ask_all())
