"""The gateway's Redis client (services/common/stores.async_redis_client) lets more
commands run at once than its pool has connections: the extra ones wait for a free
connection. redis-py's default pool refuses them ("Too many connections"), which in a
1,000-socket reconnect storm closed over a thousand sockets with 1013. And a pooled
connection that Redis closed (a restart) reconnects for the command it is lent for,
where it failed it with a 503 before; the services' client always did."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from services.common.stores import ASYNC_REDIS_CONNECTIONS, async_redis_client, redis_client

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


def kill_every_client_connection() -> int:
    """What a Redis restart does to every pooled connection, without the restart."""
    admin = redis_client()
    try:
        return admin.client_kill_filter(_type="normal", skipme=True)
    finally:
        admin.close()


async def test_pooled_connections_that_redis_dropped_reconnect_instead_of_failing(stack):
    redis = async_redis_client()
    key = f"probe:{uuid.uuid4().hex}"
    try:
        await asyncio.gather(*(redis.blpop(f"{key}:{i}", timeout=0.1) for i in range(20)))
        assert kill_every_client_connection() >= 20
        # every one of the 20 pooled connections is dead now; each command still answers
        assert await asyncio.gather(*(redis.set(f"{key}:{i}", i, ex=10) for i in range(20))) \
            == [True] * 20
    finally:
        await redis.aclose()
        await redis.connection_pool.disconnect()


def test_the_services_redis_client_reconnects_too(stack):
    client = redis_client()
    key = f"probe:{uuid.uuid4().hex}"
    try:
        assert client.set(key, "before", ex=10)
        assert kill_every_client_connection() >= 1
        assert client.get(key) == "before"
    finally:
        client.close()
