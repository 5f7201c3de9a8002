"""The floors: the least each layer under a Parley message can cost on this machine,
timed by the same code (stats.summary over sequential calls).

- a bare Nameko RPC round trip: the project's asyncio RPC client
  (services/common/rpc_client.py) calling ``channels.health``, which does no work;
- a bare FerretDB insert: one pymongo ``insert_one`` into a scratch database, dropped
  afterwards;
- a bare Tornado WebSocket echo: a frame to bench/load/echo.py (a subprocess) and back.

A Parley message is at least one of each (the gateway's RPC to messaging, the store's
insert, the socket hop), so Parley's p50 delivery divided by the sum of the floors'
p50s says how much more than the bare minimum Parley spends.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from typing import Awaitable, Callable

from pymongo import MongoClient
from tornado.websocket import websocket_connect

from services.common.rpc_client import AsyncRpcClient

from .procstat import REPO
from .stats import summary

SCRATCH_DATABASE = "parley_bench_floor"


async def time_calls(call: Callable[[], Awaitable[object]], count: int, warmup: int = 10
                     ) -> dict:
    """Run ``call`` ``warmup`` times untimed, then ``count`` times one after another;
    the summary of their durations."""
    for _ in range(warmup):
        await call()
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        durations.append(time.perf_counter() - started)
    return summary(durations)


async def rpc_floor(amqp_uri: str, count: int) -> dict:
    client = await AsyncRpcClient(amqp_uri, timeout=10, name="bench-floor").connect()
    try:
        return await time_calls(lambda: client.call("channels", "health"), count)
    finally:
        await client.close()


async def ferretdb_floor(mongo_uri: str, count: int) -> dict:
    client = MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    collection = client[SCRATCH_DATABASE]["inserts"]
    n = 0

    async def insert() -> None:   # synchronous on purpose: nothing else runs meanwhile
        nonlocal n
        n += 1
        collection.insert_one({"n": n, "text": "bench floor", "at": time.time()})

    try:
        return await time_calls(insert, count)
    finally:
        client.drop_database(SCRATCH_DATABASE)
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def websocket_floor(count: int) -> dict:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.load.echo", "--port", str(port)],
                              cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        server.stdout.readline()               # "echo listening on …"
        ws = await websocket_connect(f"ws://127.0.0.1:{port}/echo")
        frame = '{"type": "send", "text": "bench floor"}'

        async def echo() -> None:
            await ws.write_message(frame)
            await ws.read_message()

        try:
            return await time_calls(echo, count)
        finally:
            ws.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


async def measure_floors(amqp_uri: str, mongo_uri: str, count: int = 500) -> dict:
    floors = {"nameko_rpc": await rpc_floor(amqp_uri, count),
              "ferretdb_insert": await ferretdb_floor(mongo_uri, count),
              "tornado_ws_echo": await websocket_floor(count)}
    floors["sum_p50_ms"] = round(sum(f["p50_ms"] for f in floors.values()), 2)
    return floors
