"""The gateway's Redis client (services/common/stores.async_redis_client) lets more
commands run at once than its pool has connections: the extra ones wait for a free
connection. redis-py's default pool refuses them ("Too many connections"), which in a
1,000-socket reconnect storm closed over a thousand sockets with 1013."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from services.common.stores import ASYNC_REDIS_CONNECTIONS, async_redis_client

pytestmark = pytest.mark.integration


async def test_more_concurrent_commands_than_connections_wait_their_turn(stack):
    redis = async_redis_client()
    key = f"probe:{uuid.uuid4().hex}"
    try:
        # each BLPOP holds its connection for 0.2 s: half again as many as the pool has
        answers = await asyncio.gather(*(redis.blpop(f"{key}:{i}", timeout=0.2)
                                         for i in range(ASYNC_REDIS_CONNECTIONS * 3 // 2)))
        assert answers == [None] * (ASYNC_REDIS_CONNECTIONS * 3 // 2)
        assert await redis.set(key, "still serving", ex=10)
        assert await redis.get(key) == "still serving"
    finally:
        await redis.aclose()
        await redis.connection_pool.disconnect()
