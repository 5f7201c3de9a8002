"""Gateways join and leave Traefik's pool through the file provider
(gateway_tornado/discovery.py): a gateway that is stopped withdraws, keeps
serving while Traefik reloads, and only then closes, so clients going through
Traefik see no failed request; started again, it rejoins and takes requests."""
from __future__ import annotations

import asyncio

from ops.stack import supervisor
from tests.support.client import eventually, http


async def served_by(base_url: str) -> str:
    answer = await http("GET", f"{base_url}/healthz", timeout=5)
    assert answer.status == 200, (answer.status, answer.body)
    return answer.body["gateway"]


async def test_a_gateway_stopped_and_started_again_costs_clients_nothing(stack, base_url):
    answers: list[str] = []
    stopped = asyncio.Event()

    async def keep_asking():
        while not stopped.is_set() or len(answers) < 50:
            answers.append(await served_by(base_url))
            await asyncio.sleep(0.01)

    asker = asyncio.create_task(keep_asking())
    await asyncio.sleep(0.5)
    await asyncio.to_thread(supervisor.server().supervisor.stopProcess, "gateway-8101", True)
    during = len(answers)
    await asyncio.sleep(1.5)
    assert set(answers[during + 20:]) == {"gateway-8102"}  # out of the pool
    await asyncio.to_thread(supervisor.start, "gateway-8101")
    stopped.set()

    async def back_in_the_pool():
        return {await served_by(base_url) for _ in range(10)} == {"gateway-8101",
                                                                   "gateway-8102"}
    await eventually(back_in_the_pool, timeout=20, interval=0.5)
    await asker  # every request of the whole run was answered 200 (served_by asserts)
    assert len(answers) > 100
